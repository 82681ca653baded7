import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Deferred, Effect, Exit, Fiber, type Layer, ManagedRuntime, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../adapters/sql/Database.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { type DueItem, ScheduleStore } from "../../application/ports/ScheduleStore.ts"
import {
  runScheduler,
  type ScheduledJob,
  schedulerLeaseName
} from "../../application/schedulers/runScheduler.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { pgliteTemplatePath } from "../support/paths.ts"
import { postgresUrl } from "../support/services.ts"

// The one scheduler: durable due times, claims that never let a key run twice at once,
// one node at a time, and nothing lost across a restart.
type NodeLayer = ReturnType<typeof SqlStorage.layerOn>
type Node = ManagedRuntime.ManagedRuntime<Layer.Success<NodeLayer>, unknown>

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
const eventually = async (check: () => boolean, millis: number) => {
  const until = Date.now() + millis
  while (Date.now() < until && !check()) await sleep(10)
  return check()
}
const fast = { pollMillis: 20, claimMillis: 1_000, standbyMillis: 50, batchSize: 5, concurrency: 4 }

/** A job that records each run: who ran it, when it started and ended; `hold` keeps chosen runs going. */
const recordingJob = (name: string, node: string, runs: Array<Run>, hold?: (key: string) => boolean) =>
  ({
    name,
    run: (item: DueItem) =>
      Effect.gen(function* () {
        const run: Run = { key: item.key, node, started: Date.now(), ended: undefined }
        runs.push(run)
        if (hold?.(item.key) === true) yield* Effect.never
        yield* Effect.sleep(15)
        run.ended = Date.now()
        run.finished = true
        return undefined
      }).pipe(
        // A run cut short (its node stopped) ends there, unfinished.
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            const run = runs.findLast((r) => r.key === item.key && r.node === node)
            if (run !== undefined && run.ended === undefined) run.ended = Date.now()
          })
        )
      )
  }) satisfies ScheduledJob
interface Run {
  readonly key: string
  readonly node: string
  readonly started: number
  ended: number | undefined
  finished?: boolean
}

const scheduleAll = (node: Node, job: string, keys: ReadonlyArray<string>, dueAt: number) =>
  node.runPromise(
    Effect.flatMap(ScheduleStore, (store) =>
      Effect.forEach(keys, (key) => store.schedule(job, key, { dueAt, attempt: 0 }), { discard: true })
    )
  )

const overlapping = (runs: ReadonlyArray<Run>) =>
  runs.filter((a) =>
    runs.some(
      (b) =>
        a !== b && a.key === b.key && a.started <= b.started && (a.ended === undefined || b.started < a.ended)
    )
  )

const keysOf = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`)

/** A restart on one database: node 1 runs, is stopped mid-run, node 2 starts on the same data. */
const restartScenario = async (open: () => Node) => {
  const job = `restart-${Math.random().toString(36).slice(2, 8)}`
  const runs: Array<Run> = []
  const first = open()
  const held = keysOf("held", 3)
  const now = Date.now()
  await scheduleAll(first, job, [...held, ...keysOf("now", 4)], now)
  await scheduleAll(first, job, keysOf("later", 3), now + 1_500)
  const runner1 = first.runFork(
    runScheduler([recordingJob(job, "first", runs, (key) => key.startsWith("held"))], fast)
  )
  expect(await eventually(() => held.every((key) => runs.some((run) => run.key === key)), 10_000)).toBe(true)
  // A crash mid-run: the held keys never finish on node 1.
  await Effect.runPromise(Fiber.interrupt(runner1))
  await first.dispose()

  const second = open()
  const runner2 = second.runFork(runScheduler([recordingJob(job, "second", runs)], fast))
  try {
    const all = [...held, ...keysOf("now", 4), ...keysOf("later", 3)]
    const finished = () => all.every((key) => runs.some((run) => run.key === key && run.finished === true))
    expect(await eventually(finished, 15_000), "every due key ran after the restart").toBe(true)
    for (const key of keysOf("later", 3)) {
      const run = runs.find((r) => r.key === key)!
      expect(run.started, `${key} ran when due, not before`).toBeGreaterThanOrEqual(now + 1_500)
    }
    expect(
      runs.filter((run) => run.finished === true && run.key.startsWith("held")).map((r) => r.node)
    ).toEqual(["second", "second", "second"])
    expect(overlapping(runs)).toEqual([])
    const left = () =>
      second.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT key FROM scheduled_jobs WHERE job = ${job}`)
      )
    let rows = await left()
    for (let i = 0; i < 100 && rows.length > 0; i++) {
      await sleep(20)
      rows = await left()
    }
    expect(rows, "a run that asks for no next time leaves no row").toEqual([])
  } finally {
    await Effect.runPromise(Fiber.interrupt(runner2))
    await second.dispose()
  }
}

describe("The scheduler (pglite)", () => {
  let dataDir: string
  let template: Blob
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tenantry-scheduler-"))
    template = new Blob([await readFile(pgliteTemplatePath)])
  })
  afterAll(() => rm(dataDir, { recursive: true, force: true }))

  it("given due keys, a run in flight and keys due later, when the node restarts mid-run, then every key runs after the restart, the later ones when due, none twice at once", async () => {
    let opened = 0
    await restartScenario(() =>
      ManagedRuntime.make(
        SqlStorage.layerOn(
          Database.layer({
            _tag: "pglite",
            dataDir: join(dataDir, "db"),
            ...(opened++ === 0 ? { loadDataDir: template } : {})
          })
        )
      )
    )
  })

  it("given a rescheduled key while its run is in flight, then the reschedule wins over the run's own next time", async () => {
    const node: Node = ManagedRuntime.make(
      SqlStorage.layerOn(Database.layer({ _tag: "pglite", loadDataDir: template }))
    )
    try {
      const job = "reschedule"
      const started = Deferred.makeUnsafe<void>()
      const release = Deferred.makeUnsafe<void>()
      let count = 0
      const runner = node.runFork(
        runScheduler(
          [
            {
              name: job,
              run: () =>
                Effect.gen(function* () {
                  count++
                  yield* Deferred.succeed(started, undefined)
                  yield* Deferred.await(release)
                  return { dueAt: Date.now() + 3_600_000, attempt: 1 }
                })
            }
          ],
          fast
        )
      )
      await scheduleAll(node, job, ["k"], Date.now())
      await Effect.runPromise(Deferred.await(started))
      const soon = Date.now() + 200
      await scheduleAll(node, job, ["k"], soon)
      await sleep(100)
      expect(count, "a claimed key is not run again while its run is in flight").toBe(1)
      await Effect.runPromise(Deferred.succeed(release, undefined))
      expect(await eventually(() => count === 2, 5_000), "the reschedule ran").toBe(true)
      const entry = await node.runPromise(Effect.flatMap(ScheduleStore, (store) => store.entries(job, ["k"])))
      expect(entry.get("k")?.lastRunAt).toBeDefined()
      await Effect.runPromise(Fiber.interrupt(runner))
    } finally {
      await node.dispose()
    }
  })
})

if (postgresUrl !== undefined) {
  const url = postgresUrl
  describe("The scheduler across nodes (postgres)", () => {
    const scope = Scope.makeUnsafe()
    let database: string
    beforeAll(async () => {
      database = await Effect.runPromise(freshPostgresDatabase(url).pipe(Scope.provide(scope)))
    })
    afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))
    const open = (): Node =>
      ManagedRuntime.make(
        SqlStorage.layerOn(Database.layer({ _tag: "postgres", url: database, maxConnections: 6 }))
      )

    it("given two nodes claiming the same due rows at once, then each row goes to exactly one of them (SKIP LOCKED)", async () => {
      const [first, second] = [open(), open()]
      try {
        const job = "claims"
        const keys = keysOf("k", 60)
        await scheduleAll(first, job, keys, Date.now())
        const claimAll = (node: Node) =>
          node.runPromise(
            Effect.gen(function* () {
              const store = yield* ScheduleStore
              const got: Array<string> = []
              while (true) {
                const items = yield* store.claimDue(job, Date.now(), 3, 60_000)
                if (items.length === 0) return got
                got.push(...items.map((item) => item.key))
              }
            })
          )
        const [a, b] = await Promise.all([claimAll(first), claimAll(second)])
        expect([...a, ...b].sort()).toEqual([...keys].sort())
        expect(a.filter((key) => b.includes(key))).toEqual([])
      } finally {
        await Promise.all([first.dispose(), second.dispose()])
      }
    })

    it("given two nodes running the scheduler, when the lease holder's connection drops mid-way, then the other takes over, every key runs, and no key runs twice at once", async () => {
      const [first, second] = [open(), open()]
      const job = "two-nodes"
      const runs: Array<Run> = []
      const keys = keysOf("k", 40)
      try {
        await scheduleAll(first, job, keys, Date.now())
        const runner1 = first.runFork(runScheduler([recordingJob(job, "first", runs)], fast))
        await sleep(100)
        const runner2 = second.runFork(runScheduler([recordingJob(job, "second", runs)], fast))
        expect(await eventually(() => runs.length >= 8, 10_000)).toBe(true)
        // Drop the holder's lease connection: the other node takes the lease over.
        await first.runPromise(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql`SELECT pg_terminate_backend(l.pid) FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.objid = (hashtext(${`projector:${schedulerLeaseName}`})::bigint & 4294967295)::oid`
          )
        )
        const finished = () =>
          keys.every((key) => runs.some((run) => run.key === key && run.finished === true))
        expect(await eventually(finished, 20_000)).toBe(true)
        expect(overlapping(runs)).toEqual([])
        expect(new Set(runs.map((run) => run.node))).toEqual(new Set(["first", "second"]))
        // Only runs cut short by the lost lease (at most one round's worth) are run again.
        expect(runs.length - keys.length).toBeLessThanOrEqual(fast.batchSize)
        await Effect.runPromise(Effect.all([Fiber.interrupt(runner1), Fiber.interrupt(runner2)]))
      } finally {
        await Promise.all([first.dispose(), second.dispose()])
      }
    })

    it("given due keys, a run in flight and keys due later, when the node restarts mid-run, then every key runs after the restart, the later ones when due, none twice at once", async () => {
      await restartScenario(open)
    })
  })
}
