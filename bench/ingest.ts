import { gzipSync } from "node:zlib"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as LogsDatabase from "../adapters/sql/logs/LogsDatabase.ts"
import * as SqlRequestLogs from "../adapters/sql/logs/SqlRequestLogs.ts"
import { RequestLogs } from "../application/ports/RequestLogs.ts"
import type { RequestLogRecord } from "../domain/edge/requestLog.ts"
import { type BenchServer, startServer } from "./serverProcess.ts"
import { postgresUrl } from "./support.ts"

/**
 * Request-log ingestion into PostgreSQL (issue 15), printed beside baselines measured in
 * the same run. Not a test: nothing asserts on time.
 *
 * 1. HTTP: `POST /api/edge/logs`, 1,000-record NDJSON batches (plain and gzip), CONCURRENCY
 *    senders for SECONDS each, every record new (unique ids) over 20 tenants: records/s stored,
 *    p50/p99 per batch.
 * 2. Baselines, same rows, same PostgreSQL, no HTTP: the adapter's ingest statement called
 *    in-process (ids, rows and every rollup, as the endpoint runs it), and a bare multi-row
 *    INSERT of the rows into `request_logs` alone (no dedup, no rollups).
 * 3. A logs page (`GET …/logs?limit=50`, newest first; deep in the keyset; filtered to 5xx; a
 *    path prefix) with 100k and then 10M records stored for the tenant (loaded with
 *    generate_series straight into the logs database; the load time is printed).
 *
 * Environment: BENCH_DATABASE_URL (loopback; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_INGEST_SECONDS (10), BENCH_INGEST_CONCURRENCY (4), BENCH_LOGS_BIG (10000000),
 * BENCH_LOGS_SMALL (100000), BENCH_PAGE_SAMPLES (50). `npm run bench:ingest`.
 */

const seconds = Number(process.env.BENCH_INGEST_SECONDS ?? 10)
const concurrency = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 4)
const bigCount = Number(process.env.BENCH_LOGS_BIG ?? 10_000_000)
const smallCount = Number(process.env.BENCH_LOGS_SMALL ?? 100_000)
const pageSamples = Number(process.env.BENCH_PAGE_SAMPLES ?? 50)
const batchSize = 1000
const edgeToken = "bench-edge-token"

const paths = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? `/~api/items/${i}` : `/blog/post-${i}`))
const countries = ["DE", "US", "FR", "GB", "JP", "BR", "IN", null]
const statuses = [200, 200, 200, 200, 304, 404, 500, 301]
const caches = ["HIT", "HIT", "MISS", "BYPASS"] as const
const surfaces = ["site", "api", "assets"] as const

/** One batch's records as a template: `@@` in every id stands for the batch's own prefix. */
const batchTemplate = (tenants: ReadonlyArray<{ tenantId: string; slug: string }>) => {
  const now = Date.now()
  const lines: Array<string> = []
  for (let i = 0; i < batchSize; i++) {
    const tenant = tenants[i % tenants.length]!
    const cache = caches[i % caches.length]!
    const record: RequestLogRecord = {
      id: `@@-${i}`,
      ts: new Date(now - (i % 600) * 1000).toISOString(),
      tenantId: tenant.tenantId as RequestLogRecord["tenantId"],
      slug: tenant.slug,
      host: `${tenant.slug}.cachely.localhost`,
      method: i % 17 === 0 ? "POST" : "GET",
      path: paths[i % paths.length]!,
      status: statuses[i % statuses.length]!,
      cache,
      surface: surfaces[i % surfaces.length]!,
      bytesOut: 1000 + ((i * 7919) % 50_000),
      bytesFromOrigin: cache === "HIT" ? 0 : 1000 + ((i * 104_729) % 50_000),
      durationMs: (i * 37) % 400,
      originMs: cache === "HIT" ? null : (i * 31) % 350,
      country: countries[i % countries.length]!,
      userAgent:
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    }
    lines.push(JSON.stringify(record))
  }
  return `${lines.join("\n")}\n`
}

let batchCounter = 0
const nextPrefix = () => `b${process.pid}x${(batchCounter++).toString(36)}`

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!

interface Row {
  readonly row: string
  readonly measured: string
  readonly target: string
  readonly notes: string
}
const rows: Array<Row> = []
const fmt = (n: number) => Math.round(n).toLocaleString("en-US")

/** CONCURRENCY loops sending batches for SECONDS: stored records/s, per-batch latency. */
const sustained = async (send: () => Promise<number>) => {
  const latencies: Array<number> = []
  let stored = 0
  const started = performance.now()
  const until = started + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now()
        stored += await send()
        latencies.push(performance.now() - t0)
      }
    })
  )
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    perSecond: stored / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    batches: latencies.length
  }
}

const httpIngest = (server: BenchServer, template: string, gzip: boolean) => async () => {
  const text = template.replaceAll("@@", nextPrefix())
  const response = await fetch(`${server.base}/api/edge/logs`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${edgeToken}`,
      "content-type": "application/x-ndjson",
      ...(gzip ? { "content-encoding": "gzip" } : {})
    },
    body: gzip ? gzipSync(text, { level: 1 }) : text
  })
  const answer = (await response.json()) as { accepted: number; rejected: number }
  if (response.status !== 200 || answer.rejected > 0)
    throw new Error(`ingest: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`)
  return answer.accepted
}

const admin = (url: string, statement: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return yield* sql.unsafe(statement)
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)
  )

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

/** Baselines over a logs database of their own (fresh, migrated), in this process. */
const baselines = async (template: string) => {
  const name = `tenantry_bench_logs_${Date.now().toString(36)}`
  await admin(postgresUrl, `CREATE DATABASE ${name}`)
  const runtime = ManagedRuntime.make(
    SqlRequestLogs.layer.pipe(
      Layer.provideMerge(
        LogsDatabase.layer({
          _tag: "postgres",
          url: withDatabase(postgresUrl, name),
          maxConnections: concurrency + 2
        })
      )
    )
  )
  try {
    const logs = await runtime.runPromise(
      Effect.gen(function* () {
        return yield* RequestLogs
      })
    )
    const sql = await runtime.runPromise(
      Effect.gen(function* () {
        return yield* LogsDatabase.LogsSql
      })
    )
    const parse = () =>
      template
        .replaceAll("@@", nextPrefix())
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as RequestLogRecord)
    // Warm up: partitions exist, plans are cached.
    await runtime.runPromise(logs.ingest({ batchId: undefined, records: parse() }))
    const direct = await sustained(async () => {
      const records = parse()
      return (await runtime.runPromise(logs.ingest({ batchId: undefined, records }))).accepted
    })
    rows.push({
      row: "baseline: the adapter's ingest statement, in-process (no HTTP)",
      measured: `${fmt(direct.perSecond)} records/s; p50 ${direct.p50.toFixed(1)} ms, p99 ${direct.p99.toFixed(1)} ms`,
      target: "(baseline)",
      notes: `${direct.batches} batches × ${batchSize}, ${concurrency} writers; JSON.parse of the lines included`
    })
    const bare = await sustained(async () => {
      const json = JSON.stringify(parse())
      await runtime.runPromise(
        sql.unsafe(
          `INSERT INTO request_logs (tenant_id, ts, id, slug, host, method, path, status, cache, surface,
             bytes_out, bytes_from_origin, duration_ms, origin_ms, country, user_agent)
           SELECT "tenantId", ts, id, slug, host, method, path, status, cache, surface,
             "bytesOut", "bytesFromOrigin", "durationMs", "originMs", country, "userAgent"
           FROM jsonb_to_recordset($1::jsonb) AS r(id text, ts timestamptz, "tenantId" text, slug text, host text,
             method text, path text, status int, cache text, surface text, "bytesOut" bigint, "bytesFromOrigin" bigint,
             "durationMs" float8, "originMs" float8, country text, "userAgent" text)`,
          [json]
        )
      )
      return batchSize
    })
    rows.push({
      row: "baseline: bare multi-row INSERT into request_logs (no dedup, no rollups)",
      measured: `${fmt(bare.perSecond)} records/s; p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms`,
      target: "(baseline)",
      notes: `${bare.batches} batches × ${batchSize}, ${concurrency} writers`
    })
  } finally {
    await runtime.dispose()
    await admin(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}

/** Rows for one tenant straight into the logs database: `count` more, spread over 25 days. */
const load = async (
  logsUrl: string,
  tenant: { tenantId: string; slug: string },
  from: number,
  count: number
) => {
  const started = performance.now()
  // Partitions for every day the rows fall on (the server makes today's and a few ahead).
  for (let day = 0; day <= 26; day++) {
    const start = new Date(Date.now() - day * 86_400_000).toISOString().slice(0, 10)
    const end = new Date(Date.parse(`${start}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
    await admin(
      logsUrl,
      `CREATE TABLE IF NOT EXISTS request_logs_p${start.replaceAll("-", "")} PARTITION OF request_logs FOR VALUES FROM ('${start}T00:00:00Z') TO ('${end}T00:00:00Z')`
    )
  }
  const chunk = 1_000_000
  for (let offset = from; offset < from + count; offset += chunk) {
    const upTo = Math.min(from + count, offset + chunk) - 1
    await admin(
      logsUrl,
      `INSERT INTO request_logs (tenant_id, ts, id, slug, host, method, path, status, cache, surface,
         bytes_out, bytes_from_origin, duration_ms, origin_ms, country, user_agent)
       SELECT '${tenant.tenantId}', now() - (g % 2160000) * interval '1 second', 'gen-' || g, '${tenant.slug}',
         '${tenant.slug}.cachely.localhost', 'GET', '/blog/post-' || (g % 500),
         (ARRAY[200,200,200,304,404,500,301,200])[1 + g % 8], (ARRAY['HIT','HIT','MISS','BYPASS'])[1 + g % 4],
         (ARRAY['site','api','assets'])[1 + g % 3], 1000 + g % 50000, 0, g % 400, NULL, 'DE', 'bench'
       FROM generate_series(${offset}, ${upTo}) AS g`
    )
  }
  await admin(logsUrl, "ANALYZE request_logs")
  return (performance.now() - started) / 1000
}

let deepCursor: string | undefined

/** Median and p99 of GET …/logs for each page shape. */
const pageCosts = async (server: BenchServer, token: string, slug: string) => {
  const base = `${server.base}/api/tenants/${slug}/logs`
  const first = (await (
    await fetch(`${base}?limit=50`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as {
    nextCursor: string
  }
  // Deep: follow the cursor 20 pages in.
  let cursor = first.nextCursor
  for (let i = 0; i < 20; i++) {
    const page = (await (
      await fetch(`${base}?limit=50&cursor=${encodeURIComponent(cursor)}`, {
        headers: { authorization: `Bearer ${token}` }
      })
    ).json()) as { nextCursor: string }
    cursor = page.nextCursor
  }
  const shapes = {
    "newest 50": `${base}?limit=50`,
    "21st page (cursor)": `${base}?limit=50&cursor=${encodeURIComponent(cursor)}`,
    "status=5xx": `${base}?limit=50&status=5xx`,
    "path=/blog/post-42": `${base}?limit=50&path=${encodeURIComponent("/blog/post-42")}`
  }
  const result = new Map<string, { p50: number; p99: number }>()
  deepCursor = cursor
  for (const [name, url] of Object.entries(shapes)) {
    const times: Array<number> = []
    for (let i = 0; i < pageSamples + 5; i++) {
      const t0 = performance.now()
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      const body = (await response.json()) as { logs: Array<unknown> }
      if (response.status !== 200 || body.logs.length !== 50) throw new Error(`${name}: ${response.status}`)
      if (i >= 5) times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    result.set(name, { p50: quantile(times, 0.5), p99: quantile(times, 0.99) })
  }
  return result
}

/**
 * The same page's statement inside PostgreSQL (EXPLAIN ANALYZE, buffers): its execution time
 * and the pages it touched, free of HTTP and of the box's other load.
 */
const sqlCost = async (logsUrl: string, tenantId: string, cursor: string | undefined) => {
  const keyset =
    cursor === undefined
      ? ""
      : (() => {
          const [ts, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, string]
          return `AND ts <= '${ts}'::timestamptz AND (ts, id) < ('${ts}'::timestamptz, '${id}')`
        })()
  const statement = `SELECT id, ts, slug, host, method, path, status, cache, surface, bytes_out, bytes_from_origin,
      duration_ms, origin_ms, country, user_agent FROM request_logs
    WHERE tenant_id = '${tenantId}' ${keyset} ORDER BY ts DESC, id DESC LIMIT 51`
  await admin(logsUrl, statement)
  const rows = (await admin(
    logsUrl,
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement}`
  )) as unknown as ReadonlyArray<Record<string, unknown>>
  const plan = (rows[0]!["QUERY PLAN"] as ReadonlyArray<Record<string, unknown>>)[0]!
  const top = plan.Plan as Record<string, number>
  return `${(plan["Execution Time"] as number).toFixed(2)} ms, ${(top["Shared Hit Blocks"] ?? 0) + (top["Shared Read Blocks"] ?? 0)} buffers`
}

const main = async () => {
  const server = await startServer("postgres", {
    EDGE_TOKENS: edgeToken,
    PLANS: JSON.stringify({ free: { maxTenants: 100 } })
  })
  const logsUrl = withDatabase(server.databaseUrl!, `${new URL(server.databaseUrl!).pathname.slice(1)}_logs`)
  try {
    const owner = await server.token("user_bench_ingest")
    const tenants: Array<{ tenantId: string; slug: string }> = []
    for (let i = 0; i < 20; i++) {
      const slug = `ingest-${i}-${Date.now().toString(36)}`
      const created = await fetch(`${server.base}/api/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner}`, "content-type": "application/json" },
        body: JSON.stringify({ slug, cms: "generic", apiOrigin: "https://api.example.com" })
      })
      if (created.status !== 201) throw new Error(`create tenant: ${created.status}`)
      const value = (await (
        await fetch(`${server.base}/api/tenants/${slug}`, { headers: { authorization: `Bearer ${owner}` } })
      ).json()) as {
        value: { tenantId: string }
      }
      tenants.push({ tenantId: value.value.tenantId, slug })
    }
    const template = batchTemplate(tenants)
    console.error(
      `batch: ${batchSize} records, ${(template.length / 1024).toFixed(0)} KiB NDJSON, ${(gzipSync(template, { level: 1 }).length / 1024).toFixed(0)} KiB gzip`
    )
    await httpIngest(server, template, false)()
    for (const gzip of [false, true]) {
      const cpu0 = server.cpuSeconds()
      const result = await sustained(httpIngest(server, template, gzip))
      const cpu1 = server.cpuSeconds()
      rows.push({
        row: `POST /api/edge/logs, 1,000-record NDJSON batches${gzip ? ", gzip" : ""}`,
        measured: `${fmt(result.perSecond)} records/s; p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms per batch`,
        target: "≥ 50,000 records/s",
        notes: `${result.batches} batches, ${concurrency} senders, ${seconds} s; server CPU ${cpu0 === undefined || cpu1 === undefined ? "?" : `${(((cpu1 - cpu0) / (result.batches * batchSize)) * 1e6).toFixed(1)} µs/record`}`
      })
    }
    await baselines(template)

    const reader = tenants[0]!
    const smallLoad = await load(logsUrl, reader, 0, smallCount)
    const small = await pageCosts(server, owner, reader.slug)
    const smallSql = [
      await sqlCost(logsUrl, reader.tenantId, undefined),
      await sqlCost(logsUrl, reader.tenantId, deepCursor)
    ]
    const bigLoad = await load(logsUrl, reader, smallCount, bigCount - smallCount)
    const big = await pageCosts(server, owner, reader.slug)
    const bigSql = [
      await sqlCost(logsUrl, reader.tenantId, undefined),
      await sqlCost(logsUrl, reader.tenantId, deepCursor)
    ]
    for (const [index, name] of ["newest 50", "21st page (cursor)"].entries()) {
      rows.push({
        row: `SQL of the page ${name} (EXPLAIN ANALYZE): ${fmt(smallCount)} vs ${fmt(bigCount)}`,
        measured: `${smallSql[index]} → ${bigSql[index]}`,
        target: "ratio ≤ 1.5",
        notes: "inside PostgreSQL, no HTTP"
      })
    }
    for (const [name, at100k] of small) {
      const at10m = big.get(name)!
      rows.push({
        row: `GET …/logs ${name}: ${fmt(smallCount)} vs ${fmt(bigCount)} records`,
        measured: `p50 ${at100k.p50.toFixed(2)} → ${at10m.p50.toFixed(2)} ms (×${(at10m.p50 / at100k.p50).toFixed(2)}); p99 ${at100k.p99.toFixed(1)} → ${at10m.p99.toFixed(1)} ms`,
        target: "ratio ≤ 1.5",
        notes: `${pageSamples} samples each`
      })
    }
    rows.push({
      row: "load (generate_series, one tenant)",
      measured: `${fmt(smallCount)} rows in ${smallLoad.toFixed(1)} s; ${fmt(bigCount - smallCount)} more in ${bigLoad.toFixed(1)} s`,
      target: "",
      notes: "straight into request_logs (no ids table, no rollups), then ANALYZE"
    })
  } finally {
    await server.close()
    await admin(
      postgresUrl,
      `DROP DATABASE IF EXISTS ${new URL(logsUrl).pathname.slice(1)} WITH (FORCE)`
    ).catch(() => undefined)
  }
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(
      ...[
        ["row", "measured", "target", "notes"],
        ...rows.map((r) => [r.row, r.measured, r.target, r.notes])
      ].map((cells) => cells[i]!.length)
    )
  )
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`
  console.log(line(["row", "measured", "target", "notes"]))
  console.log(line(widths.map((w) => "-".repeat(w))))
  for (const r of rows) console.log(line([r.row, r.measured, r.target, r.notes]))
}

await main()
