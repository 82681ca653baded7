import { Deferred, Effect, Exit, Fiber, Layer, ManagedRuntime, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../adapters/sql/Database.ts"
import * as SqlEventStore from "../../adapters/sql/SqlEventStore.ts"
import * as SqlProjectionCheckpoints from "../../adapters/sql/SqlProjectionCheckpoints.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { type Checkpoint, EventStore } from "../../application/ports/EventStore.ts"
import { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"
import { runProjector } from "../../application/projections/runProjector.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { postgresUrl } from "../support/services.ts"

// Two runners of one projector, each on a node of its own (pool, lease connection, signal),
// over one PostgreSQL database. PGlite is one process: its lease is covered by the contract.
const metadata = { actor: { type: "system" as const, id: "lease-test" } }

const nodeLayer = (url: string, heartbeatMillis: number) =>
  Layer.mergeAll(
    SqlEventStore.layer(SqlStorage.inlineProjections),
    SqlProjectionCheckpoints.layerWith({ heartbeatMillis })
  ).pipe(Layer.provideMerge(Database.layer({ _tag: "postgres", url, maxConnections: 4 })))
type Node = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof nodeLayer>>, unknown>

const isAfter = (a: Checkpoint, b: Checkpoint) =>
  a.transactionId > b.transactionId || (a.transactionId === b.transactionId && a.position > b.position)

const eventually = async (check: () => boolean | Promise<boolean>, millis: number) => {
  const until = Date.now() + millis
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return check()
}
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

if (postgresUrl !== undefined) {
  const url = postgresUrl
  describe("The projector lease across nodes (postgres)", () => {
    const scope = Scope.makeUnsafe()
    let database: string
    beforeAll(async () => {
      database = await Effect.runPromise(freshPostgresDatabase(url).pipe(Scope.provide(scope)))
    })
    afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

    /** Two nodes, a projector of its own name, and what each runner handled. */
    const setUp = async (heartbeats: { readonly first: number; readonly second: number }) => {
      const first: Node = ManagedRuntime.make(nodeLayer(database, heartbeats.first))
      const second: Node = ManagedRuntime.make(nodeLayer(database, heartbeats.second))
      const name = `lease-${Math.random().toString(36).slice(2, 8)}`
      const type = `Seen-${name}`
      const handled = { first: [] as Array<number>, second: [] as Array<number> }
      const append = (count: number) =>
        first.runPromise(
          Effect.flatMap(EventStore, (store) =>
            Effect.forEach(
              Array.from({ length: count }, (_, i) => i),
              () =>
                store.append({
                  streamId: `${name}-${Math.random().toString(36).slice(2, 10)}`,
                  tenantId: "t-lease",
                  expectedVersion: 0,
                  events: [{ type, schemaVersion: 1, data: {} }],
                  metadata
                }),
              { discard: true }
            )
          )
        )
      const stored = () =>
        first.runPromise(Effect.flatMap(ProjectionCheckpoints, (checkpoints) => checkpoints.load(name)))
      const head = () =>
        first.runPromise(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql<{
              position: unknown
            }>`SELECT max(position) AS position FROM events WHERE type = ${type}`.pipe(
              Effect.map((rows) => Number(rows[0]!.position))
            )
          )
        )
      /** Kills the backend holding the projector's advisory lock: the holder's lease connection. */
      const dropHolderConnection = () =>
        first.runPromise(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) =>
              sql<{ pid: unknown }>`SELECT pg_terminate_backend(l.pid), l.pid FROM pg_locks l
              WHERE l.locktype = 'advisory' AND l.granted
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.objid = (hashtext(${`projector:${name}`})::bigint & 4294967295)::oid`
          )
        )
      const dispose = () => Promise.all([first.dispose(), second.dispose()])
      return { first, second, name, type, handled, append, stored, head, dropHolderConnection, dispose }
    }

    it("given runner 1 holding the lease and busy with a batch, when its lease connection drops and runner 2 takes over, then runner 1's next save is refused, it stops handling, and the checkpoint never moves backwards", async () => {
      // Runner 1 does not check its lease between saves here (hour-long heartbeat): only
      // the fencing of its save can stop it.
      const world = await setUp({ first: 3_600_000, second: 100 })
      const { first, second, handled } = world
      try {
        await world.append(10)
        const runner1Busy = Deferred.makeUnsafe<void>()
        const gate = Deferred.makeUnsafe<void>()
        const options = { batchSize: 2, saveEveryMillis: 0, pollMillis: 20, standbyMillis: 50 }
        const runner1 = first.runFork(
          runProjector(
            {
              name: world.name,
              handles: new Set([world.type]),
              handle: (events) =>
                Effect.gen(function* () {
                  handled.first.push(...events.map((event) => event.position))
                  if (handled.first.length === 4) {
                    yield* Deferred.succeed(runner1Busy, undefined)
                    yield* Deferred.await(gate)
                  }
                })
            },
            options
          )
        )
        await Effect.runPromise(Deferred.await(runner1Busy))
        const runner2 = second.runFork(
          runProjector(
            {
              name: world.name,
              handles: new Set([world.type]),
              handle: (events) =>
                Effect.sync(() => handled.second.push(...events.map((event) => event.position)))
            },
            options
          )
        )
        // Watches the stored checkpoint from here on.
        const seen: Array<Checkpoint> = [await world.stored()]
        let watching = true
        const watcher = (async () => {
          while (watching) {
            seen.push(await world.stored())
            await sleep(5)
          }
        })()

        await sleep(200)
        expect(handled.second, "runner 2 stands by while runner 1 holds the lease").toEqual([])
        expect(await world.dropHolderConnection()).toHaveLength(1)

        const last = await world.head()
        expect(
          await eventually(async () => (await world.stored()).position === last, 10_000),
          "runner 2 took over and caught up"
        ).toBe(true)
        const takenOver = await world.stored()

        // Runner 1 finishes the batch in hand and tries to save a checkpoint behind runner 2's.
        await Effect.runPromise(Deferred.succeed(gate, undefined))
        await sleep(300)
        await world.append(4)
        const newest = await world.head()
        expect(await eventually(() => handled.second.includes(newest), 10_000)).toBe(true)
        await sleep(200)
        watching = false
        await watcher

        for (let i = 1; i < seen.length; i++) {
          expect(
            isAfter(seen[i - 1]!, seen[i]!),
            `the checkpoint moved backwards: ${JSON.stringify(seen.slice(i - 1, i + 1))}`
          ).toBe(false)
        }
        expect(handled.first, "runner 1 handled its two batches and nothing after").toHaveLength(4)
        expect(Math.max(...handled.second)).toBe(newest)
        expect(isAfter(takenOver, await world.stored())).toBe(false)
        expect((await world.stored()).position).toBe(newest)
        await Effect.runPromise(Effect.all([Fiber.interrupt(runner1), Fiber.interrupt(runner2)]))
      } finally {
        await world.dispose()
      }
    })

    it("given an idle runner 1 holding the lease, when its lease connection drops, then it stops (its heartbeat sees the lease gone) and runner 2 handles what comes next alone", async () => {
      const world = await setUp({ first: 100, second: 100 })
      const { first, second, handled } = world
      try {
        const options = { batchSize: 50, saveEveryMillis: 0, pollMillis: 20, standbyMillis: 50 }
        const projector = (into: Array<number>) => ({
          name: world.name,
          handles: new Set([world.type]),
          handle: (events: ReadonlyArray<{ readonly position: number }>) =>
            Effect.sync(() => into.push(...events.map((event) => event.position)))
        })
        const runner1 = first.runFork(runProjector(projector(handled.first), options))
        await world.append(2)
        expect(await eventually(() => handled.first.length === 2, 5_000)).toBe(true)
        const runner2 = second.runFork(runProjector(projector(handled.second), options))
        await sleep(200)
        expect(await world.dropHolderConnection()).toHaveLength(1)
        await sleep(500)
        await world.append(3)
        const newest = await world.head()
        expect(await eventually(() => handled.second.includes(newest), 10_000)).toBe(true)
        await sleep(200)
        expect(handled.first, "runner 1 handled nothing after losing its lease").toHaveLength(2)
        await Effect.runPromise(Effect.all([Fiber.interrupt(runner1), Fiber.interrupt(runner2)]))
      } finally {
        await world.dispose()
      }
    })
  })
}
