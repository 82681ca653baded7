/**
 * Event-store benchmarks: appends, batch appends, load-and-fold, projector catch-up,
 * on PGlite and on PostgreSQL. Prints one table; never asserts on time.
 *
 *   npm run bench:event-store                 # both engines
 *   npm run bench:event-store -- pglite       # one engine (pglite | postgres | all)
 *
 * Environment: BENCH_DATABASE_URL (loopback PostgreSQL; a fresh `tenantry_bench_*`
 * database is created and dropped per run), BENCH_PG_POOL (pool size, default 10 as in
 * Database.layer), BENCH_DURATION_MS (measuring time of each time-bound row, default 2000).
 */
import { Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import { tenantAggregate } from "../application/aggregates.ts"
import { tenantCodec } from "../application/events/catalog.ts"
import { loadAggregate } from "../application/handleCommand.ts"
import { type Checkpoint, EventStore, type NewEvent } from "../application/ports/EventStore.ts"
import type { Projector } from "../application/projections/Projector.ts"
import { ProjectionWaits } from "../application/projections/projectionWaits.ts"
import { runProjector } from "../application/projections/runProjector.ts"
import { tenantViewHandles } from "../application/projections/tenantView.ts"
import { fold } from "../domain/shared/decider.ts"
import {
  benchTenantId,
  configUpdatedEvent,
  durationMillis,
  type EngineName,
  eventBytes,
  fmtMs,
  fmtRate,
  log,
  median,
  metadata,
  now,
  parseEngines,
  percentile,
  postgresPool,
  printTable,
  type Row,
  scaled,
  storeLayer,
  tenantCreated
} from "./support.ts"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

// --- 1. single-event appends, 1 / 8 / 32 writers ------------------------------------------

const appendTargets: Record<number, number> = { 1: 4_000, 8: 12_000, 32: 15_000 }

export const singleAppends = (engine: EngineName, writers: number) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const versions = range(writers).map(() => 0)
    let sequence = 0
    const runFor = (millis: number, latencies: Array<number> | undefined) =>
      Effect.gen(function* () {
        const deadline = now() + millis
        let count = 0
        yield* Effect.forEach(
          range(writers),
          (w) =>
            Effect.gen(function* () {
              const streamId = `append-${writers}w-${w}`
              while (now() < deadline) {
                const started = now()
                yield* store.append({
                  streamId,
                  tenantId: benchTenantId,
                  expectedVersion: versions[w]!,
                  events: [configUpdatedEvent(sequence++)],
                  metadata
                })
                latencies?.push(now() - started)
                versions[w]!++
                count++
              }
            }),
          { concurrency: writers, discard: true }
        )
        return count
      }).pipe(Effect.orDie)
    yield* runFor(Math.min(500, durationMillis / 4), undefined) // warm-up: opens pool connections, prepares
    const latencies: Array<number> = []
    const started = now()
    const count = yield* runFor(durationMillis, latencies)
    const rate = (count * 1000) / (now() - started)
    latencies.sort((a, b) => a - b)
    const target = appendTargets[writers]!
    return {
      engine,
      row: `1. single-event append, ${writers} writer${writers === 1 ? "" : "s"}`,
      measured: `${fmtRate(rate)}; p50 ${fmtMs(percentile(latencies, 50))}, p99 ${fmtMs(percentile(latencies, 99))}`,
      target: `≥ ${fmtRate(target)}`,
      met: rate >= target,
      notes: `${count} appends, ~${eventBytes} B/event`
    } satisfies Row
  })

// --- 2. 100-event batch appends -----------------------------------------------------------

const batchEvents = (base: number): ReadonlyArray<NewEvent> =>
  range(100).map((i) => configUpdatedEvent(base + i))

/** A fixed amount: `batches` batches of 100 events, each to its own new stream. Seeds row 4. */
export const batchAppends = (engine: EngineName, writers: number, batches: number) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const prepared = range(batches).map((b) => batchEvents(b * 100))
    let next = 0
    const started = now()
    yield* Effect.forEach(
      range(writers),
      () =>
        Effect.gen(function* () {
          while (next < batches) {
            const b = next++
            yield* store.append({
              streamId: `batch-${writers}w-${b}`,
              tenantId: benchTenantId,
              expectedVersion: 0,
              events: prepared[b]!,
              metadata
            })
          }
        }),
      { concurrency: writers, discard: true }
    ).pipe(Effect.orDie)
    const elapsed = now() - started
    const rate = (batches * 100 * 1000) / elapsed
    return {
      engine,
      row: `2. 100-event batch append, ${writers} writer${writers === 1 ? "" : "s"}`,
      measured: `${fmtRate(rate)}; ${fmtMs(elapsed / batches)}/batch`,
      target: writers === 1 ? `≥ ${fmtRate(90_000)}` : "(no target)",
      met: writers === 1 ? rate >= 90_000 : undefined,
      notes: `${batches} batches`
    } satisfies Row
  })

// --- 3. load-and-fold, with and without a snapshot ----------------------------------------

const seedStream = (streamId: string, length: number) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    let version = 0
    while (version < length) {
      const size = Math.min(1000, length - version)
      const events = range(size).map((i) =>
        version + i === 0 ? tenantCodec.encode(tenantCreated()) : configUpdatedEvent(version + i)
      )
      yield* store.append({ streamId, tenantId: benchTenantId, expectedVersion: version, events, metadata })
      version += size
    }
  }).pipe(Effect.orDie)

/** Repeats `load` for about `budget` ms (at least `min`, at most `max` times): median ms. */
const timeRepeated = <A, E, R>(load: Effect.Effect<A, E, R>, budget: number, min = 3, max = 30) =>
  Effect.gen(function* () {
    const times: Array<number> = []
    const started = now()
    let last: A | undefined
    while (times.length < min || (times.length < max && now() - started < budget)) {
      const t0 = now()
      last = yield* load
      times.push(now() - t0)
    }
    return { ms: median(times), last: last as A, reps: times.length }
  })

/** Events left after the snapshot: half the snapshot interval, the average case. */
const snapshotTail = 50

export const loadAndFold = (engine: EngineName, lengths: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const rows: Array<Row> = []
    const withSnapshot: Array<{ length: number; ms: number }> = []
    for (const length of lengths) {
      const streamId = `fold-${length}`
      yield* seedStream(streamId, length)
      const budget = Math.min(1500, durationMillis)
      const load = loadAggregate(tenantAggregate, streamId).pipe(Effect.provideService(EventStore, store))
      const cold = yield* timeRepeated(load, budget)
      if (cold.last.version !== length)
        throw new Error(`loaded version ${cold.last.version}, expected ${length}`)
      // Where the time goes: the read alone, then decode + fold alone.
      const read = yield* timeRepeated(store.readStream(streamId, 1), budget)
      const foldStarted = now()
      fold(tenantAggregate.decider, read.last.map(tenantAggregate.codec.decode))
      const foldMs = now() - foldStarted
      const rate = (length * 1000) / cold.ms
      const isTarget = length === scaled(10_000)
      rows.push({
        engine,
        row: `3. load+fold ${length.toLocaleString("en-US")} events, no snapshot`,
        measured: `${fmtRate(rate)}; ${fmtMs(cold.ms)}/load`,
        target: isTarget ? `≥ ${fmtRate(500_000)}` : "(shape only)",
        met: isTarget ? rate >= 500_000 : undefined,
        notes: `read ${fmtMs(read.ms)} + decode/fold ${fmtMs(foldMs)}; median of ${cold.reps}`
      })
      // Snapshot `snapshotTail` events before the head, as the command handler would leave it.
      const snapVersion = length - snapshotTail
      const state = fold(
        tenantAggregate.decider,
        read.last.slice(0, snapVersion).map(tenantAggregate.codec.decode)
      )
      yield* store.saveSnapshot({
        streamId,
        streamVersion: snapVersion,
        stateVersion: tenantAggregate.stateVersion,
        state
      })
      const warm = yield* timeRepeated(load, budget, 5, 200)
      if (warm.last.version !== length || warm.last.snapshotVersion !== snapVersion)
        throw new Error(`snapshot load came back at ${warm.last.version}/${warm.last.snapshotVersion}`)
      withSnapshot.push({ length, ms: warm.ms })
    }
    const base = withSnapshot[0]!
    for (const { length, ms } of withSnapshot) {
      rows.push({
        engine,
        row: `3. load+fold ${length.toLocaleString("en-US")} events, snapshot + ${snapshotTail}`,
        measured: `${fmtMs(ms)}/load`,
        target: "O(1): flat in stream length",
        met: ms <= base.ms * 2 + 0.5,
        notes: `${(ms / base.ms).toFixed(2)}× the ${base.length.toLocaleString("en-US")}-event stream`
      })
    }
    return rows
  })

// --- 4. projector catch-up ----------------------------------------------------------------

const projectionTable = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS bench_event_index (
    position bigint PRIMARY KEY,
    stream_id text NOT NULL,
    stream_version integer NOT NULL,
    type text NOT NULL,
    tenant_id text NOT NULL
  )`
  yield* sql`TRUNCATE bench_event_index`
}).pipe(Effect.orDie)

/** One INSERT … ON CONFLICT statement per event, the batch in one transaction. */
export const perEventProjector = (sql: SqlClient.SqlClient, counter: { n: number }): Projector => ({
  name: "bench-per-event",
  handles: tenantViewHandles,
  handle: (events) =>
    sql
      .withTransaction(
        Effect.forEach(
          events,
          (e) =>
            sql`INSERT INTO bench_event_index (position, stream_id, stream_version, type, tenant_id)
            VALUES (${e.position}, ${e.streamId}, ${e.streamVersion}, ${e.type}, ${e.tenantId})
            ON CONFLICT (position) DO UPDATE SET stream_id = EXCLUDED.stream_id,
              stream_version = EXCLUDED.stream_version, type = EXCLUDED.type, tenant_id = EXCLUDED.tenant_id`,
          { discard: true }
        )
      )
      .pipe(Effect.tap(() => Effect.sync(() => (counter.n += events.length))))
})

/** The same upsert per event, sent as one set-based statement per batch. */
export const setBasedProjector = (sql: SqlClient.SqlClient, counter: { n: number }): Projector => ({
  name: "bench-set-based",
  handles: tenantViewHandles,
  handle: (events) =>
    sql`INSERT INTO bench_event_index (position, stream_id, stream_version, type, tenant_id)
      SELECT r.position, r.stream_id, r.stream_version, r.type, r.tenant_id
      FROM jsonb_to_recordset(${JSON.stringify(
        events.map((e) => ({
          position: e.position,
          stream_id: e.streamId,
          stream_version: e.streamVersion,
          type: e.type,
          tenant_id: e.tenantId
        }))
      )}::jsonb) AS r(position bigint, stream_id text, stream_version integer, type text, tenant_id text)
      ON CONFLICT (position) DO UPDATE SET stream_id = EXCLUDED.stream_id,
        stream_version = EXCLUDED.stream_version, type = EXCLUDED.type, tenant_id = EXCLUDED.tenant_id`.pipe(
      Effect.tap(() => Effect.sync(() => (counter.n += events.length)))
    )
})

/** The checkpoint of the `count`-th event in commit order: where catch-up over that many ends. */
const checkpointAt = (count: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ transaction_id: string; position: string | number }>`
      SELECT transaction_id::text AS transaction_id, position FROM events
      ORDER BY transaction_id, position OFFSET ${count - 1} LIMIT 1`
    const row = rows[0]
    if (row === undefined) throw new Error(`the log holds fewer than ${count} events`)
    return { transactionId: Number(row.transaction_id), position: Number(row.position) } satisfies Checkpoint
  }).pipe(Effect.orDie)

export const projectorCatchUp = (
  engine: EngineName,
  variant: "per-event" | "set-based",
  count: number,
  batchSize = 500
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* projectionTable
    const target = yield* checkpointAt(count)
    const counter = { n: 0 }
    const projector =
      variant === "per-event" ? perEventProjector(sql, counter) : setBasedProjector(sql, counter)
    const limit = Math.max(5000, durationMillis * 3)
    const started = now()
    const fiber = yield* Effect.forkChild(runProjector(projector, { batchSize, pollMillis: 50 }))
    const reached = yield* Effect.gen(function* () {
      const waits = yield* ProjectionWaits
      return yield* waits.reached(projector.name, target, limit)
    }).pipe(Effect.provide(ProjectionWaits.layer))
    const elapsed = now() - started
    yield* Fiber.interrupt(fiber)
    const rate = (counter.n * 1000) / elapsed
    return {
      engine,
      row: `4. projector catch-up, ${variant} upsert`,
      measured: fmtRate(rate),
      target: `≥ ${fmtRate(30_000)}`,
      met: rate >= 30_000,
      notes: `${counter.n.toLocaleString("en-US")} events${reached ? "" : ` (stopped after ${Math.round(elapsed)} ms, partial)`}; runProjector batch ${batchSize}`
    } satisfies Row
  })

// --- the run ------------------------------------------------------------------------------

const runEngine = (engine: EngineName) =>
  Effect.gen(function* () {
    const rows: Array<Row> = []
    const step = <A, R>(name: string, effect: Effect.Effect<A, never, R>) =>
      Effect.gen(function* () {
        log(`${engine}: ${name}`)
        return yield* effect
      })
    // Row 2 first: its events (100,000 at scale 1) are exactly the log row 4 catches up over.
    const batch1 = yield* step("batch appends", batchAppends(engine, 1, scaled(1000)))
    const logged = scaled(1000) * 100
    const perEvent = yield* step("projector (per-event)", projectorCatchUp(engine, "per-event", logged))
    const setBased = yield* step("projector (set-based)", projectorCatchUp(engine, "set-based", logged))
    for (const writers of [1, 8, 32])
      rows.push(yield* step(`appends x${writers}`, singleAppends(engine, writers)))
    rows.push(batch1)
    rows.push(yield* step("batch appends x8", batchAppends(engine, 8, scaled(500))))
    rows.push(...(yield* step("load and fold", loadAndFold(engine, [1_000, 10_000, 100_000].map(scaled)))))
    rows.push(perEvent, setBased)
    return rows
  }).pipe(Effect.provide(storeLayer(engine)), Effect.scoped)

const main = Effect.gen(function* () {
  const engines = parseEngines(process.argv[2])
  const rows: Array<Row> = []
  for (const engine of engines) {
    const started = now()
    rows.push(...(yield* runEngine(engine)))
    log(`${engine}: done in ${((now() - started) / 1000).toFixed(1)} s`)
  }
  console.log(
    `\nEvent store benchmark — node ${process.version}, PostgreSQL pool ${postgresPool}, ${durationMillis} ms per time-bound row, ~${eventBytes} B events\n`
  )
  printTable(rows)
})

// Only when run as a script, so experiments can import the rows.
if (import.meta.main) {
  Effect.runPromise(main).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
