/**
 * EXPERIMENTS, not the benchmark suite: the rows of bench/eventStore.ts against variants,
 * to size the changes proposed in bench/proposals.patch before anyone makes them.
 *
 *   npm run bench:event-store:experiments               # PostgreSQL (default)
 *   npm run bench:event-store:experiments -- pglite
 *
 * Variants (each on a fresh database):
 *   baseline         adapters/sql/SqlEventStore.ts as it is, pool 10
 *   store-fixes      bench/experimental/SqlEventStore.ts (slim RETURNING, readAll ORDER BY fix), pool 10
 *   + no-notify      the same, with the per-statement NOTIFY trigger dropped
 *   + pool 32        the same, pool of 32 connections (PostgreSQL only)
 */
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as SqlEventStore from "../adapters/sql/SqlEventStore.ts"
import * as SqlProjectionCheckpoints from "../adapters/sql/SqlProjectionCheckpoints.ts"
import { EventStore } from "../application/ports/EventStore.ts"
import { batchAppends, loadAndFold, projectorCatchUp, singleAppends } from "./eventStore.ts"
import * as ExperimentalStore from "./experimental/SqlEventStore.ts"
import { databaseLayer, type EngineName, log, now, parseEngines, printTable, type Row } from "./support.ts"

interface Variant {
  readonly name: string
  readonly experimental: boolean
  readonly dropNotify: boolean
  readonly pool: number
}

const variants: ReadonlyArray<Variant> = [
  { name: "baseline", experimental: false, dropNotify: false, pool: 10 },
  { name: "store-fixes", experimental: true, dropNotify: false, pool: 10 },
  { name: "store-fixes + no-notify", experimental: true, dropNotify: true, pool: 10 },
  { name: "store-fixes + no-notify + pool 32", experimental: true, dropNotify: true, pool: 32 }
]

const layerFor = (engine: EngineName, variant: Variant) =>
  Layer.mergeAll(
    variant.experimental ? ExperimentalStore.layer([]) : SqlEventStore.layer([]),
    SqlProjectionCheckpoints.layer
  ).pipe(Layer.provideMerge(databaseLayer(engine, variant.pool)))

/** Where a 10,000-row stream read spends its time: all columns as readStream, or only what a fold needs. */
const readBreakdown = (engine: EngineName, label: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* EventStore
    const time = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        const times: Array<number> = []
        for (let i = 0; i < 7; i++) {
          const t0 = now()
          yield* effect
          times.push(now() - t0)
        }
        return times.sort((a, b) => a - b)[3]!
      })
    const full = yield* time(store.readStream("fold-10000", 1))
    const raw = yield* time(
      sql`SELECT position, transaction_id::text AS transaction_id, stream_id, stream_version, tenant_id, type, schema_version, data, metadata, recorded_at
        FROM events WHERE stream_id = ${"fold-10000"} ORDER BY stream_version`
    )
    const slim = yield* time(
      sql`SELECT stream_version, type, schema_version, data FROM events WHERE stream_id = ${"fold-10000"} ORDER BY stream_version`
    )
    const text = yield* time(
      sql`SELECT stream_version, type, schema_version, data::text AS data FROM events WHERE stream_id = ${"fold-10000"} ORDER BY stream_version`
    )
    return {
      engine,
      row: `[${label}] read 10,000-event stream`,
      measured: `readStream ${full.toFixed(1)} ms`,
      target: "",
      notes: `raw all columns ${raw.toFixed(1)} ms; fold columns only ${slim.toFixed(1)} ms; data as text ${text.toFixed(1)} ms`
    } satisfies Row
  }).pipe(Effect.orDie)

const runVariant = (engine: EngineName, variant: Variant) =>
  Effect.gen(function* () {
    log(`${engine}: ${variant.name}`)
    if (variant.dropNotify) {
      const sql = yield* SqlClient.SqlClient
      yield* sql`DROP TRIGGER events_notify ON events`.pipe(Effect.orDie)
    }
    const label = (rows: ReadonlyArray<Row>) => rows.map((r) => ({ ...r, row: `[${variant.name}] ${r.row}` }))
    const rows: Array<Row> = []
    rows.push(...label([yield* batchAppends(engine, 1, 1000)]))
    rows.push(...label([yield* projectorCatchUp(engine, "set-based", 100_000)]))
    for (const writers of [1, 8, 32]) rows.push(...label([yield* singleAppends(engine, writers)]))
    const folds = yield* loadAndFold(engine, [10_000])
    rows.push(...label(folds.slice(0, 1)))
    if (variant.name === "baseline" || variant.name === "store-fixes")
      rows.push(yield* readBreakdown(engine, variant.name))
    return rows
  }).pipe(Effect.provide(layerFor(engine, variant)), Effect.scoped)

const main = Effect.gen(function* () {
  const engine = parseEngines(process.argv[2] ?? "postgres")[0]!
  const rows: Array<Row> = []
  for (const variant of variants) {
    if (engine === "pglite" && (variant.pool !== 10 || variant.dropNotify)) continue
    rows.push(...(yield* runVariant(engine, variant)))
  }
  console.log("\nEXPERIMENTS (bench/experimental/*, not the application's code)\n")
  printTable(rows)
})

if (import.meta.main) {
  Effect.runPromise(main).catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
