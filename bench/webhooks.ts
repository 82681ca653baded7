/**
 * Webhook receivers under load, against a real Tenantry server in its own process, beside
 * a raw node:http server measured in the same run on the same box:
 *
 * - valid cache-refresh deliveries spread over many webhooks, as fast as the server takes
 *   them (each one a version bump, a group-committed append and a wait for the edge KV
 *   snapshot);
 * - valid deliveries to half the tenants at a steady pace, alone and then beside a flood of
 *   invalid deliveries (wrong secrets, unknown ids) to the other half: rejected/s, no 5xx,
 *   and whether the paced deliveries keep their p99;
 * - the same flood beside valid deliveries at full speed (the rows this bench had before).
 *
 * The load comes from wrk (see load.ts) on one address, so the per-client rate limit is
 * lifted for the run (WEBHOOK_RATE_LIMIT_*); the rate limiter itself is still on the path.
 *
 *   npm run bench:webhooks                 # PostgreSQL (BENCH_DATABASE_URL) and PGlite
 *   npm run bench:webhooks -- postgres     # one engine
 * Settings: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50), BENCH_WEBHOOKS (50),
 * BENCH_REDIS_URL (redis://127.0.0.1:6379, the edge KV of the PostgreSQL run).
 */
import { availableParallelism } from "node:os"
import { type LoadRequest, type LoadResult, loadGenerator, runLoad } from "./load.ts"
import {
  boxBusySeconds,
  cpuSecondsOfCommand,
  loadCells,
  printTable,
  startBaseline,
  startServer
} from "./serverProcess.ts"
import { type EngineName, parseEngines } from "./support.ts"

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const webhookCount = Number(process.env.BENCH_WEBHOOKS ?? 50)
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"
// Valid deliveries at a steady pace, as a CMS sends them (~1,000/s while latency stays near
// 5 ms), for the rows that ask whether a flood takes their latency away.
const pacedConnections = 25
const pacedThinkMillis = 20

const baselineSource = `
  const body = JSON.stringify({ ok: true, refreshed: true, versions: { apiCacheVersion: 2, assetCacheVersion: 1, htmlCacheVersion: 1 } })
  require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(body) }) })
    .listen(Number(process.env.PORT), "127.0.0.1")
`

interface Measured {
  readonly row: string
  readonly result: LoadResult
  /** The server process's CPU time per request answered in the row (both rows of a concurrent pair share it). */
  readonly cpuMicros: number | undefined
  /** PostgreSQL's, likewise, when it runs on this box (PGlite runs inside the server). */
  readonly databaseMicros: number | undefined
  /** How many cores the whole box kept busy over the row (server, database, load generators, …). */
  readonly boxCores: number | undefined
  readonly target: string
}

const run = (base: string, requests: ReadonlyArray<LoadRequest>, duration: number) =>
  runLoad(base, requests, { seconds: duration, connections })

type CpuMeter = () => number | undefined

/** CPU µs per request answered over a row, from a meter read before and after it. */
const perRequest = (
  before: number | undefined,
  after: number | undefined,
  requests: number
): number | undefined =>
  before === undefined || after === undefined || requests === 0
    ? undefined
    : ((after - before) * 1e6) / requests

/**
 * Runs load while watching the server's CPU and, when it runs on this box, the
 * database's: the results and each one's CPU µs per request answered.
 */
const withCpu = async <A extends ReadonlyArray<LoadResult>>(
  meters: { readonly server: CpuMeter; readonly database: CpuMeter | undefined },
  load: () => Promise<A>
): Promise<{
  readonly results: A
  readonly cpuMicros: number | undefined
  readonly databaseMicros: number | undefined
  readonly boxCores: number | undefined
}> => {
  const server = meters.server()
  const database = meters.database?.()
  const box = boxBusySeconds()
  const started = performance.now()
  const results = await load()
  const wallSeconds = (performance.now() - started) / 1000
  const boxAfter = boxBusySeconds()
  const requests = results.reduce((sum, result) => sum + result.requests, 0)
  return {
    results,
    cpuMicros: perRequest(server, meters.server(), requests),
    databaseMicros: perRequest(database, meters.database?.(), requests),
    boxCores: box === undefined || boxAfter === undefined ? undefined : (boxAfter - box) / wallSeconds
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
    const valid = (of: ReadonlyArray<string>): ReadonlyArray<LoadRequest> =>
      of.map((path) => ({ method: "POST", path, headers: contentful, body }))
    // The flood targets half the tenants (wrong secrets, and ids that do not exist); valid
    // deliveries go to the other half meanwhile, over as many connections again.
    const half = Math.max(1, Math.floor(paths.length / 2))
    const flood = paths.slice(0, half).flatMap(
      (path): ReadonlyArray<LoadRequest> => [
        { method: "POST", path: path.replace(/whsec_.*/, "whsec_wrong"), headers: contentful, body },
        { method: "POST", path: "/api/webhooks/cache-refresh/whk_unknown0000000000/whsec_x", body }
      ]
    )

    await run(base, valid(paths), 2) // warm-up
    const meters = {
      server: server.cpuSeconds,
      database: engine === "postgres" ? cpuSecondsOfCommand("postgres") : undefined
    }
    const others = valid(paths.slice(half))
    const paced = () =>
      runLoad(base, others, { seconds, connections: pacedConnections, thinkMillis: pacedThinkMillis })
    const alone = await withCpu(meters, async () => [await run(base, valid(paths), seconds)] as const)
    const pacedAlone = await withCpu(meters, async () => [await paced()] as const)
    const pacedPair = await withCpu(meters, () => Promise.all([run(base, flood, seconds), paced()] as const))
    const fullPair = await withCpu(meters, () =>
      Promise.all([run(base, flood, seconds), run(base, others, seconds)] as const)
    )
    const row = (
      name: string,
      target: string,
      measured: Pick<Measured, "cpuMicros" | "databaseMicros" | "boxCores">,
      result: LoadResult
    ): Measured => ({ row: `${engine}: ${name}`, target, result, ...measured })
    const pacedName = `valid deliveries paced (${pacedConnections} connections, ${pacedThinkMillis} ms apart)`
    return [
      row(
        `valid deliveries over ${paths.length} webhooks`,
        "≥ 3,000 deliveries/s, p99 ≤ 25 ms",
        alone,
        alone.results[0]
      ),
      row(pacedName, "(their p99 alone)", pacedAlone, pacedAlone.results[0]),
      row(
        "invalid flood beside them (wrong secret / unknown id)",
        "≥ 20,000 rejected/s, no 5xx",
        pacedPair,
        pacedPair.results[0]
      ),
      row(
        `${pacedName} during the flood`,
        "keep their p99 (row above the flood)",
        pacedPair,
        pacedPair.results[1]
      ),
      row(
        "invalid flood beside valid deliveries at full speed",
        "(as before 2026-11-25)",
        fullPair,
        fullPair.results[0]
      ),
      row(
        "valid deliveries at full speed during that flood",
        "(as before 2026-11-25)",
        fullPair,
        fullPair.results[1]
      )
    ]
  } finally {
    await server.close()
  }
}

const baseline = async (): Promise<Measured> => {
  const server = await startBaseline(baselineSource)
  try {
    const requests: ReadonlyArray<LoadRequest> = [{ method: "POST", path: "/", headers: contentful, body }]
    await run(server.base, requests, 2)
    const measured = await withCpu(
      { server: server.cpuSeconds, database: undefined },
      async () => [await run(server.base, requests, seconds)] as const
    )
    return {
      row: "baseline: raw node:http, POST, static JSON",
      target: "(reference)",
      result: measured.results[0],
      cpuMicros: measured.cpuMicros,
      databaseMicros: undefined,
      boxCores: measured.boxCores
    }
  } finally {
    await server.close()
  }
}

const rows: Array<Measured> = [await baseline()]
for (const engine of parseEngines(process.argv[2])) rows.push(...(await benchEngine(engine)))

const raw = rows[0]!.result.rps
const cpu = (micros: number | undefined) => (micros === undefined ? "n/a" : `${Math.round(micros)} µs`)
printTable(
  `Webhook load (${await loadGenerator()}): ${connections} connections per load, ${seconds} s per row, load generator on the same box`,
  [
    "row",
    "req/s",
    "vs raw",
    "p50",
    "p99",
    "2xx",
    "4xx",
    "5xx/errors",
    "server CPU/req",
    "PostgreSQL CPU/req",
    "box busy",
    "target"
  ],
  rows.map(({ row, result, cpuMicros, databaseMicros, boxCores, target }) => [
    row,
    ...loadCells(result, raw),
    result.status2xx,
    result.status4xx,
    result.status5xx + result.errors,
    cpu(cpuMicros),
    cpu(databaseMicros),
    boxCores === undefined ? "n/a" : `${boxCores.toFixed(2)} of ${availableParallelism()} cores`,
    target
  ])
)

// Refusals are 4xx by design; a 5xx or a transport error means the run measured a failure.
const failed = rows.filter(({ result }) => result.status5xx + result.errors > 0)
if (failed.length > 0) {
  console.error(`bench failed: 5xx or errors in ${failed.map(({ row }) => row).join("; ")}`)
  process.exitCode = 1
}
