/**
 * Custom domains under HTTP load: GET /api/tenants/{slug}/domains (a tenant with 5 domains)
 * beside GET /api/tenants/{slug} (the same tenant's value, which now carries its domains
 * summary) and a raw node:http server answering a static JSON body, in the same run on the
 * same box. DNS is pointed at a dead loopback port, so no check ever leaves the machine.
 *
 *   npm run bench:domains               # PostgreSQL (BENCH_DATABASE_URL) and PGlite
 *   npm run bench:domains -- pglite     # one engine
 * Settings: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50).
 */

import { type LoadRequest, loadGenerator, runLoad, warmUpSeconds } from "./load.ts"
import { loadCells, printTable, startBaseline, startServer } from "./serverProcess.ts"
import { type EngineName, parseEngines } from "./support.ts"

process.env.DNS_SERVERS = "127.0.0.1:9"
const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const baselineSource = `
  const body = JSON.stringify({ domains: [{ hostname: "shop.example.com", status: "pending" }] })
  require("node:http").createServer((_, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end(body) })
    .listen(Number(process.env.PORT), "127.0.0.1")
`

interface Measured {
  readonly row: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
}

const load = async (row: string, base: string, request: LoadRequest): Promise<Measured> => {
  await runLoad(base, [request], { seconds: warmUpSeconds(seconds), connections }) // warm-up
  const result = await runLoad(base, [request], { seconds, connections })
  return {
    row,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    non2xx: result.requests - result.status2xx + result.errors
  }
}

const benchEngine = async (engine: EngineName): Promise<ReadonlyArray<Measured>> => {
  const server = await startServer(engine)
  try {
    const base = server.base
    const headers = {
      authorization: `Bearer ${await server.token("user_bench")}`,
      "content-type": "application/json"
    }
    const created = await fetch(`${base}/api/tenants`, {
      method: "POST",
      headers,
      body: JSON.stringify({ slug: "bench", cms: "contentful", spaceId: "abc123" })
    })
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`)
    for (let i = 0; i < 5; i++) {
      const added = await fetch(`${base}/api/tenants/bench/domains`, {
        method: "POST",
        headers,
        body: JSON.stringify({ hostname: `shop${i}.bench.example.com` })
      })
      if (added.status !== 201) throw new Error(`add failed: ${added.status} ${await added.text()}`)
    }
    const tenant = await load(`${engine}: GET /api/tenants/bench`, base, {
      method: "GET",
      path: "/api/tenants/bench",
      headers
    })
    const domains = await load(`${engine}: GET /api/tenants/bench/domains (5)`, base, {
      method: "GET",
      path: "/api/tenants/bench/domains",
      headers
    })
    return [tenant, domains]
  } finally {
    await server.close()
  }
}

const baseline = async (): Promise<Measured> => {
  const server = await startBaseline(baselineSource)
  try {
    return await load("baseline: raw node:http, static JSON", server.base, { method: "GET", path: "/" })
  } finally {
    await server.close()
  }
}

const rows: Array<Measured> = [await baseline()]
for (const engine of parseEngines(process.argv[2])) rows.push(...(await benchEngine(engine)))

const raw = rows[0]!.rps
printTable(
  `Custom domains, HTTP load (${await loadGenerator()}): ${connections} connections, ${seconds} s per row, load generator on the same 2-core box`,
  ["row", "req/s", "vs raw", "p50", "p99", "non-2xx"],
  rows.map((row) => [row.row, ...loadCells(row, raw), row.non2xx])
)

const failed = rows.filter((row) => row.non2xx > 0)
if (failed.length > 0) {
  console.error(`bench failed: non-2xx answers in ${failed.map((row) => row.row).join("; ")}`)
  process.exitCode = 1
}
