/**
 * HTTP load: GET /api/tenants/{slug} and POST …/refresh-cache, authenticated, against a
 * real Tenantry server in its own process, beside a raw node:http server answering a
 * static JSON body, measured in the same run on the same box. The load comes from wrk (load.ts).
 *
 *   npm run bench:http                 # PostgreSQL (BENCH_DATABASE_URL) and PGlite
 *   npm run bench:http -- postgres     # one engine
 * Settings: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50).
 */

import { type LoadRequest, loadGenerator, runLoad, warmUpSeconds } from "./load.ts"
import { loadCells, printTable, startBaseline, startServer } from "./serverProcess.ts"
import { type EngineName, parseEngines } from "./support.ts"

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const baselineSource = `
  const body = JSON.stringify({ key: "proxy:bench", value: { slug: "bench", cacheTTL: 300 } })
  require("node:http").createServer((_, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end(body) })
    .listen(Number(process.env.PORT), "127.0.0.1")
`

interface Measured {
  readonly row: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly target: string
}

const load = async (row: string, target: string, base: string, request: LoadRequest): Promise<Measured> => {
  await runLoad(base, [request], { seconds: warmUpSeconds(seconds), connections }) // warm-up
  const result = await runLoad(base, [request], { seconds, connections })
  return {
    row,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    non2xx: result.requests - result.status2xx + result.errors,
    target
  }
}

const benchEngine = async (engine: EngineName): Promise<ReadonlyArray<Measured>> => {
  const server = await startServer(engine)
  try {
    const base = server.base
    const token = await server.token("user_bench")
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const created = await fetch(`${base}/api/tenants`, {
      method: "POST",
      headers,
      body: JSON.stringify({ slug: "bench", cms: "contentful", spaceId: "abc123" })
    })
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`)
    const read = await load(
      `${engine}: GET /api/tenants/bench`,
      "≥ 25,000 req/s, p99 ≤ 5 ms (PostgreSQL)",
      base,
      { method: "GET", path: "/api/tenants/bench", headers }
    )
    const refresh = await load(
      `${engine}: POST …/refresh-cache`,
      "≥ 5,000 req/s, p99 ≤ 20 ms (PostgreSQL)",
      base,
      {
        method: "POST",
        path: "/api/tenants/bench/refresh-cache",
        headers,
        body: JSON.stringify({ type: "api" })
      }
    )
    return [read, refresh]
  } finally {
    await server.close()
  }
}

const baseline = async (): Promise<Measured> => {
  const server = await startBaseline(baselineSource)
  try {
    return await load("baseline: raw node:http, static JSON", "(reference)", server.base, {
      method: "GET",
      path: "/"
    })
  } finally {
    await server.close()
  }
}

const rows: Array<Measured> = [await baseline()]
for (const engine of parseEngines(process.argv[2])) rows.push(...(await benchEngine(engine)))

const raw = rows[0]!.rps
printTable(
  `HTTP load (${await loadGenerator()}): ${connections} connections, ${seconds} s per row, load generator on the same 2-core box`,
  ["row", "req/s", "vs raw", "p50", "p99", "non-2xx", "target"],
  rows.map((row) => [row.row, ...loadCells(row, raw), row.non2xx, row.target])
)

// A bench that served errors measured nothing: fail the run (bench:smoke in .ci/run relies on it).
const failed = rows.filter((row) => row.non2xx > 0)
if (failed.length > 0) {
  console.error(`bench failed: non-2xx answers in ${failed.map((row) => row.row).join("; ")}`)
  process.exitCode = 1
}
