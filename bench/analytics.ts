/**
 * bench:analytics: the cost of the analytics endpoints' reads at 100k and at 10M stored
 * records for one tenant among 1,000, on PostgreSQL (BENCH_DATABASE_URL; a fresh database,
 * dropped after). Records are loaded with generate_series straight into `request_logs`
 * (spread over the last 90 days: 2,000 paths, 50 countries, every surface, status and cache
 * outcome), then the rollups and the top-k tables are rebuilt from them in SQL, as ingestion
 * would have left them. The other 999 tenants get 1,000 records each.
 *
 * Rows: `analytics 30d`, `bandwidth 366 days` and `usage` (the application's own functions,
 * analyticsOf / bandwidthOf / tenantUsageOf, over the RequestLogs port), p50/p99 over
 * BENCH_ANALYTICS_RUNS (default 200) calls each after 20 warm-up calls, and the 10M/100k
 * ratio of p50. Baseline in the same run: the same 30-day totals computed by scanning the raw
 * records (what a query that does not use the rollups would cost).
 *
 *   npm run bench:analytics                      # 100k and 10M
 *   BENCH_ANALYTICS_SIZES=100000,1000000 npm run bench:analytics
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as LogsDatabase from "../adapters/sql/logs/LogsDatabase.ts"
import { rebuildRollups } from "../adapters/sql/logs/rebuildRollups.ts"
import * as SqlRequestLogs from "../adapters/sql/logs/SqlRequestLogs.ts"
import { analyticsOf, bandwidthOf, tenantUsageOf } from "../application/analytics/readAnalytics.ts"
import { Config, type TenantryConfig } from "../application/config.ts"
import { RequestLogs } from "../application/ports/RequestLogs.ts"
import { dayMillis, floorDay, monthAt } from "../domain/analytics/index.ts"
import { fmtMs, log, percentile, postgresUrl, printTable, type Row, scaled } from "./support.ts"

const sizes = (process.env.BENCH_ANALYTICS_SIZES ?? "100000,10000000").split(",").map(Number)
const runs = Number(process.env.BENCH_ANALYTICS_RUNS ?? 200)
const target = "tnt_benchanalytics00000"
const otherTenants = scaled(999)
const perOther = scaled(1000)

const config: TenantryConfig = {
  proxyBaseDomain: "cachely.localhost",
  publicBaseUrl: "http://127.0.0.1:8080",
  plans: { free: { maxTenants: 3, maxRequestsPerMonth: 50_000_000, maxBandwidthBytesPerMonth: 10 ** 13 } },
  defaultPlan: "free",
  masterAdminUserIds: new Set()
}

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}
const admin = (statement: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(statement)
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(postgresUrl), maxConnections: 1 })),
    Effect.orDie
  )

/** Raw records: `count` for `tenant` (or one per `tenants` row), over the last 90 days. */
const insertRecords = (
  sql: SqlClient.SqlClient,
  from: number,
  to: number,
  tenantExpression: string,
  now: number
) =>
  sql.unsafe(`
    INSERT INTO request_logs (tenant_id, ts, id, slug, host, method, path, status, cache, surface,
      bytes_out, bytes_from_origin, duration_ms, origin_ms, country, user_agent)
    SELECT ${tenantExpression}, to_timestamp(${now / 1000} - (hashint4(i) & 2147483647) % (90 * 86400)),
      'r' || i || '_' || ${tenantExpression}, 'bench', 'bench.cachely.localhost', 'GET',
      '/p/' || (hashint4(i + 1) & 2147483647) % 2000,
      (ARRAY[200, 200, 200, 304, 404, 500])[1 + (i % 6)],
      (ARRAY['HIT', 'HIT', 'MISS', 'BYPASS'])[1 + (i % 4)],
      (ARRAY['site', 'api', 'assets'])[1 + (i % 3)],
      1000 + i % 50000, CASE WHEN i % 4 = 0 OR i % 4 = 1 THEN 0 ELSE 1000 + i % 50000 END,
      (i % 997)::float8, NULL,
      chr(65 + i % 25) || chr(65 + (i / 25) % 2), 'bench'
    FROM generate_series(${from}, ${to}) AS i`)

const time = async (effect: () => Promise<unknown>) => {
  for (let i = 0; i < 20; i++) await effect()
  const samples: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await effect()
    samples.push(performance.now() - start)
  }
  return samples.sort((a, b) => a - b)
}

/** The table of what is measured so far (printed after each size, so a long run shows its rows early). */
const report = (results: ReadonlyMap<number, ReadonlyMap<string, ReadonlyArray<number>>>) => {
  const sizes = [...results.keys()]
  const table: Array<Row> = []
  const [small, large] = [sizes[0]!, sizes.at(-1)!]
  for (const label of results.get(small)!.keys()) {
    for (const size of sizes) {
      const samples = results.get(size)!.get(label)!
      const baseline = label.startsWith("baseline")
      table.push({
        engine: "postgres",
        row: `${label} @ ${size.toLocaleString("en-US")}`,
        measured: `p50 ${fmtMs(percentile(samples, 50))}, p99 ${fmtMs(percentile(samples, 99))}`,
        target: baseline || size !== large ? "" : "p50 <= 20 ms",
        met: baseline || size !== large ? undefined : percentile(samples, 50) <= 20
      })
    }
    if (sizes.length > 1) {
      const ratio =
        percentile(results.get(large)!.get(label)!, 50) / percentile(results.get(small)!.get(label)!, 50)
      const baseline = label.startsWith("baseline")
      table.push({
        engine: "postgres",
        row: `${label}: p50 ${large.toLocaleString("en-US")} / ${small.toLocaleString("en-US")}`,
        measured: ratio.toFixed(2),
        target: baseline ? "" : "<= 1.2",
        met: baseline ? undefined : ratio <= 1.2
      })
    }
  }
  printTable(table)
}

const program = Effect.gen(function* () {
  const name = `tenantry_bench_analytics_${Date.now().toString(36)}`
  yield* Effect.acquireRelease(admin(`CREATE DATABASE ${name}`), () =>
    admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.ignore)
  )
  const layer = SqlRequestLogs.layer.pipe(
    Layer.provideMerge(
      LogsDatabase.layer({ _tag: "postgres", url: withDatabase(postgresUrl, name), maxConnections: 4 })
    ),
    Layer.merge(Layer.succeed(Config, config))
  )
  const services = yield* Layer.build(layer)
  const run = Effect.runPromiseWith(services)
  const sql = Context.get(services, LogsDatabase.LogsSql)
  const logs = Context.get(services, RequestLogs)
  const now = Date.now()
  yield* logs.maintain({ now: new Date(now), retentionDays: 92, aheadDays: 1 })
  const results = new Map<number, Map<string, ReadonlyArray<number>>>()
  log(
    `loading ${(otherTenants * perOther).toLocaleString("en-US")} records for ${otherTenants} other tenants`
  )
  let started = performance.now()
  yield* sql.unsafe(`
    INSERT INTO request_logs (tenant_id, ts, id, slug, host, method, path, status, cache, surface,
      bytes_out, bytes_from_origin, duration_ms, origin_ms, country, user_agent)
    SELECT 'tnt_other' || lpad((i % ${otherTenants})::text, 6, '0'), to_timestamp(${now / 1000} - (hashint4(i) & 2147483647) % (90 * 86400)),
      'o' || i, 'other', 'other.cachely.localhost', 'GET', '/p/' || i % 300, 200, 'HIT', 'site', 1000, 0, 3, NULL, 'DE', 'bench'
    FROM generate_series(1, ${otherTenants * perOther}) AS i`)
  yield* rebuildRollups(sql, { allBut: target })
  log(`loaded and rolled up in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  let loaded = 0
  for (const size of sizes) {
    log(`loading the tenant's records up to ${size.toLocaleString("en-US")}`)
    started = performance.now()
    yield* insertRecords(sql, loaded + 1, size, `'${target}'`, now)
    loaded = size
    yield* rebuildRollups(sql, { tenantId: target })
    yield* sql.unsafe("ANALYZE")
    log(`loaded and rolled up in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const month = monthAt(now)
    const rows = new Map<string, ReadonlyArray<number>>()
    rows.set("analytics 30d", yield* Effect.promise(() => time(() => run(analyticsOf(target, "30d", now)))))
    const range = {
      from: floorDay(now) - 365 * dayMillis,
      to: floorDay(now),
      days: Array.from({ length: 366 }, (_, i) => floorDay(now) - (365 - i) * dayMillis)
    }
    rows.set("bandwidth 366 days", yield* Effect.promise(() => time(() => run(bandwidthOf(target, range)))))
    rows.set(
      "usage (month + previous)",
      yield* Effect.promise(() => time(() => run(tenantUsageOf(target, month, now))))
    )
    rows.set(
      "baseline: 30d totals scanning raw records",
      yield* Effect.promise(() =>
        time(() =>
          run(
            sql`SELECT count(*), sum(bytes_out), sum(bytes_from_origin), count(*) FILTER (WHERE cache = 'HIT')
                FROM request_logs WHERE tenant_id = ${target} AND ts >= ${new Date(now - 30 * dayMillis).toISOString()}::timestamptz`
          )
        )
      )
    )
    results.set(size, rows)
    if (size !== sizes.at(-1)) report(results)
  }
  report(results)
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
