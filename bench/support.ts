import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as Database from "../adapters/sql/Database.ts"
import * as SqlEventStore from "../adapters/sql/SqlEventStore.ts"
import * as SqlProjectionCheckpoints from "../adapters/sql/SqlProjectionCheckpoints.ts"
import { tenantCodec } from "../application/events/catalog.ts"
import type { EventMetadata, NewEvent } from "../application/ports/EventStore.ts"
import type { TenantEvent } from "../domain/tenant/index.ts"

/** Shared helpers for the benchmarks: engines, payloads, statistics and the printed table. */

export type EngineName = "pglite" | "postgres"

export const postgresUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
/** The application's default pool (Database.layer) unless told otherwise. */
export const postgresPool = Number(process.env.BENCH_PG_POOL ?? 10)
/** How long each time-bound row measures, after its warm-up. */
export const durationMillis = Number(process.env.BENCH_DURATION_MS ?? 2000)
/**
 * A factor on the fixed sizes of the benches that load data (event counts, stream lengths,
 * other tenants' records): 1 for the documented rows; the suite's bench smoke runs them
 * small (tests/bench/) to hold that every bench still runs end to end.
 */
export const scale = Number(process.env.BENCH_SCALE ?? 1)
export const scaled = (size: number) => Math.max(1, Math.round(size * scale))

export const parseEngines = (arg: string | undefined): ReadonlyArray<EngineName> => {
  if (arg === undefined || arg === "all" || arg === "both") return ["pglite", "postgres"]
  if (arg === "pglite" || arg === "postgres") return [arg]
  throw new Error(`unknown engine ${arg}: use pglite, postgres or all`)
}

const loopbackOnly = (url: string) => {
  const host = new URL(url).hostname
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host))
    throw new Error(`BENCH_DATABASE_URL must point at a loopback address, not ${host}`)
}

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

const admin = (url: string, statement: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

/** A fresh PostgreSQL database (`tenantry_bench_<random>`) for the layer's lifetime, dropped after. */
const freshPostgres = (url: string, maxConnections: number) =>
  Layer.unwrap(
    Effect.gen(function* () {
      loopbackOnly(url)
      const name = `tenantry_bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
      yield* Effect.acquireRelease(admin(url, `CREATE DATABASE ${name}`), () =>
        admin(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.ignore)
      )
      return Database.layer({ _tag: "postgres", url: withDatabase(url, name), maxConnections })
    })
  )

/** A migrated database of the engine: PGlite in memory, or a fresh PostgreSQL database. */
export const databaseLayer = (engine: EngineName, pool = postgresPool) =>
  engine === "pglite" ? Database.layer({ _tag: "pglite" }) : freshPostgres(postgresUrl, pool)

/**
 * The event store as the application builds it (SqlStorage.layerOn), but without inline
 * projections: these rows measure the log itself. (Tenant events in the app also run
 * the `tenants`/`tenant_members` projections in the append transaction.)
 */
export const storeLayer = (engine: EngineName, pool = postgresPool) =>
  Layer.mergeAll(SqlEventStore.layer([]), SqlProjectionCheckpoints.layer).pipe(
    Layer.provideMerge(databaseLayer(engine, pool))
  )

export const metadata: EventMetadata = {
  actor: { type: "user", id: "usr_bench_0001" },
  requestId: "req_0123456789abcdef"
}

export const benchTenantId = "tnt_bench0000000001"
const at = "2026-11-20T10:15:30.123Z"

export const tenantCreated = (tenantId = benchTenantId): TenantEvent =>
  ({
    _tag: "TenantCreated",
    tenantId,
    slug: "bench-tenant",
    cms: { cms: "generic", apiOrigin: "https://api.example.com" },
    cacheTTL: 300,
    websiteDomain: "www.example.com",
    siteProxy: false,
    ownerId: "usr_bench_0001",
    at
  }) as TenantEvent

/** A configuration change whose stored JSON (type, version, data) is about 300 bytes. */
export const tenantConfigUpdated = (i: number): TenantEvent =>
  ({
    _tag: "TenantConfigUpdated",
    changes: {
      cms: {
        cms: "generic",
        apiOrigin: `https://content-${i % 1000}.api.example-cms-provider.com/v2/spaces/bench-space-0001/environments/main`
      },
      cacheTTL: 60 + (i % 3600),
      websiteDomain: `www.bench-tenant-${i % 100}.example.com`,
      siteProxy: i % 2 === 0
    },
    at
  }) as TenantEvent

export const configUpdatedEvent = (i: number): NewEvent => tenantCodec.encode(tenantConfigUpdated(i))

export const eventBytes = JSON.stringify(configUpdatedEvent(123_456)).length

// --- statistics -------------------------------------------------------------------------

export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export const median = (values: ReadonlyArray<number>): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50
  )

export const now = () => performance.now()

// --- the table --------------------------------------------------------------------------

export interface Row {
  readonly engine: EngineName
  readonly row: string
  readonly measured: string
  readonly target: string
  /** undefined: no target for this line. */
  readonly met?: boolean | undefined
  readonly notes?: string
}

export const fmtRate = (perSecond: number) => `${Math.round(perSecond).toLocaleString("en-US")} ev/s`
export const fmtMs = (ms: number) => (ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`)

const status = (row: Row) => {
  if (row.met === undefined) return ""
  // The targets are set for PostgreSQL; on PGlite they are printed for reference only.
  if (row.engine === "pglite") return row.met ? "(met)" : "(ref)"
  return row.met ? "met" : "MISSED"
}

export const printTable = (rows: ReadonlyArray<Row>) => {
  const header = ["engine", "row", "measured", "target (PostgreSQL)", "status", "notes"]
  const cells = rows.map((r) => [r.engine, r.row, r.measured, r.target, status(r), r.notes ?? ""])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: ReadonlyArray<string>) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`
  console.log(line(header))
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`)
  for (const c of cells) console.log(line(c))
}

export const log = (message: string) => console.error(`[bench] ${message}`)
