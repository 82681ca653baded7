/**
 * Webhook receivers under load, against a real Tenantry server in its own process, beside
 * a raw node:http server measured in the same run on the same box:
 *
 * - valid cache-refresh deliveries spread over many webhooks (each one a version bump,
 *   a group-committed append and a wait for the edge KV snapshot);
 * - a flood of invalid deliveries (wrong secrets, unknown ids) while valid deliveries to
 *   other tenants run at the same time: rejected/s, no 5xx, and the valid p99 meanwhile.
 *
 * The load comes from one address, so the per-client rate limit is lifted for the run
 * (WEBHOOK_RATE_LIMIT_*); the rate limiter itself is still on the path.
 *
 *   npm run bench:webhooks                 # PostgreSQL (BENCH_DATABASE_URL) and PGlite
 *   npm run bench:webhooks -- postgres     # one engine
 * Settings: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50), BENCH_WEBHOOKS (50),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379, the edge KV of the PostgreSQL run).
 */
import autocannon from "autocannon"
import { loadCells, printTable, startBaseline, startServer } from "./serverProcess.ts"
import { type EngineName, parseEngines } from "./support.ts"

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const webhookCount = Number(process.env.BENCH_WEBHOOKS ?? 50)
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"

const baselineSource = `
  const body = JSON.stringify({ ok: true, refreshed: true, versions: { apiCacheVersion: 2, assetCacheVersion: 1, htmlCacheVersion: 1 } })
  require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(body) }) })
    .listen(Number(process.env.PORT), "127.0.0.1")
`

interface Measured {
  readonly row: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly status2xx: number
  readonly status4xx: number
  readonly status5xx: number
  /** The server process's CPU time per request answered in the row (both rows of a concurrent pair share it). */
  readonly cpuMicros: number | undefined
  readonly target: string
}

type Options = Parameters<typeof autocannon>[0]

const measure = (
  row: string,
  target: string,
  result: autocannon.Result,
  cpuMicros: number | undefined
): Measured => ({
  row,
  cpuMicros,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  status2xx: result["2xx"],
  status4xx: result["4xx"],
  status5xx: result["5xx"] + result.errors + result.timeouts,
  target
})

const run = (options: Options, duration: number) => autocannon({ ...options, duration, connections })

/** Runs load while watching the server's CPU: the results and its CPU µs per request answered. */
const withCpu = async <A extends ReadonlyArray<autocannon.Result>>(
  cpuSeconds: () => number | undefined,
  load: () => Promise<A>
): Promise<{ readonly results: A; readonly cpuMicros: number | undefined }> => {
  const before = cpuSeconds()
  const results = await load()
  const after = cpuSeconds()
  const requests = results.reduce((sum, result) => sum + result.requests.total, 0)
  return {
    results,
    cpuMicros:
      before === undefined || after === undefined || requests === 0
        ? undefined
        : ((after - before) * 1e6) / requests
  }
}

const body = JSON.stringify({
  sys: { type: "Entry", id: "5KsDBWseXY6QegucYAoacS" },
  fields: { title: { "en-US": "Hello" } }
})
const contentful = {
  "content-type": "application/vnd.contentful.management.v1+json",
  "x-contentful-topic": "ContentManagement.Entry.publish"
}

const benchEngine = async (engine: EngineName): Promise<ReadonlyArray<Measured>> => {
  const server = await startServer(engine, {
    // PostgreSQL runs as in production, with the edge KV in Redis; PGlite keeps it in files.
    ...(engine === "postgres" ? { REDIS_URL: redisUrl } : {}),
    PLANS: JSON.stringify({ free: { maxTenants: 10_000 } }),
    WEBHOOK_RATE_LIMIT_PER_CLIENT: "1000000/1000000",
    WEBHOOK_RATE_LIMIT_PER_WEBHOOK: "1000000/1000000"
  })
  try {
    const base = server.base
    const token = await server.token("user_bench")
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const paths: Array<string> = []
    for (let i = 0; i < webhookCount; i++) {
      const slug = `bench-${i}`
      const created = await fetch(`${base}/api/tenants`, {
        method: "POST",
        headers,
        body: JSON.stringify({ slug, cms: "contentful", spaceId: "abc123" })
      })
      if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`)
      const webhook = await fetch(`${base}/api/tenants/${slug}/cache-refresh-webhooks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ provider: "contentful" })
      })
      if (webhook.status !== 200) throw new Error(`webhook failed: ${webhook.status} ${await webhook.text()}`)
      paths.push(new URL(((await webhook.json()) as { url: string }).url).pathname)
    }
    const valid = (of: ReadonlyArray<string>): Options => ({
      url: base,
      requests: of.map((path) => ({ method: "POST" as const, path, headers: contentful, body }))
    })
    const invalid: Options = {
      url: base,
      requests: paths.flatMap((path) => [
        { method: "POST" as const, path: path.replace(/whsec_.*/, "whsec_wrong"), headers: contentful, body },
        { method: "POST" as const, path: "/api/webhooks/cache-refresh/whk_unknown0000000000/whsec_x", body }
      ])
    }

    await run(valid(paths), 2) // warm-up
    const alone = await withCpu(server.cpuSeconds, async () => [await run(valid(paths), seconds)] as const)
    const spread = measure(
      `${engine}: valid deliveries over ${paths.length} webhooks`,
      "≥ 3,000 deliveries/s, p99 ≤ 25 ms",
      alone.results[0],
      alone.cpuMicros
    )
    // The flood targets half the tenants; valid deliveries go to the other half meanwhile.
    // The flood's load generator runs on a worker thread, so its own event loop does not
    // delay (and inflate the latencies of) the valid deliveries measured beside it.
    const half = Math.max(1, Math.floor(paths.length / 2))
    const pair = await withCpu(server.cpuSeconds, () =>
      Promise.all([
        run({ ...invalid, requests: (invalid.requests ?? []).slice(0, half * 2), workers: 1 }, seconds),
        run(valid(paths.slice(half)), seconds)
      ])
    )
    const [flood, beside] = pair.results
    return [
      spread,
      measure(
        `${engine}: invalid flood (wrong secret / unknown id)`,
        "≥ 20,000 rejected/s, no 5xx",
        flood!,
        pair.cpuMicros
      ),
      measure(
        `${engine}: valid deliveries to other tenants during the flood`,
        "p99 ≤ 25 ms",
        beside!,
        pair.cpuMicros
      )
    ]
  } finally {
    await server.close()
  }
}

const baseline = async (): Promise<Measured> => {
  const server = await startBaseline(baselineSource)
  try {
    const options: Options = { url: `${server.base}/`, method: "POST", headers: contentful, body }
    await run(options, 2)
    const measured = await withCpu(server.cpuSeconds, async () => [await run(options, seconds)] as const)
    return measure(
      "baseline: raw node:http, POST, static JSON",
      "(reference)",
      measured.results[0],
      measured.cpuMicros
    )
  } finally {
    await server.close()
  }
}

const rows: Array<Measured> = [await baseline()]
for (const engine of parseEngines(process.argv[2])) rows.push(...(await benchEngine(engine)))

const raw = rows[0]!.rps
const cpu = (micros: number | undefined) => (micros === undefined ? "n/a" : `${Math.round(micros)} µs`)
printTable(
  `Webhook load: ${connections} connections, ${seconds} s per row, load generator on the same box`,
  ["row", "req/s", "vs raw", "p50", "p99", "2xx", "4xx", "5xx/errors", "server CPU/req", "target"],
  rows.map((row) => [
    row.row,
    ...loadCells(row, raw),
    row.status2xx,
    row.status4xx,
    row.status5xx,
    cpu(row.cpuMicros),
    row.target
  ])
)
