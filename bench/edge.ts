/**
 * The Node edge (`npm run edge`, its own process) against raw node:http in the same run:
 *
 * - HIT: wrk on a cached page through the edge, beside wrk on a raw node:http server
 *   answering the same static body (target ≥ 0.6× raw req/s).
 * - MISS overhead: one connection, one request at a time, each to a path never asked
 *   before (a true MISS: routed, fetched from the origin, stored), against the same
 *   requests sent straight to that origin (target ≤ 1 ms more at p50).
 *
 *   npm run bench:edge
 * Settings: BENCH_EDGE_SECONDS (10), BENCH_EDGE_CONNECTIONS (50), BENCH_EDGE_MISSES (3000).
 * Load from wrk when it is on the PATH (Debian: apt-get install -y wrk), see load.ts.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { Agent, createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileNameFor } from "../adapters/kv/FileKv.ts"
import type { EdgeSnapshot } from "../domain/edge/snapshot.ts"
import { loadGenerator, runLoad, warmUpSeconds } from "./load.ts"
import { freePort, loadCells, printTable, startBaseline } from "./serverProcess.ts"
import { percentile } from "./support.ts"

const seconds = Number(process.env.BENCH_EDGE_SECONDS ?? 10)
const connections = Number(process.env.BENCH_EDGE_CONNECTIONS ?? 50)
const misses = Number(process.env.BENCH_EDGE_MISSES ?? 3000)
const host = "bench.cachely.localhost"

// The origin and the baseline are the same program: a static HTML body of ~2 KB.
const originSource = `
  const body = "<!doctype html><title>bench</title>" + "<p>cached page</p>".repeat(110)
  require("node:http").createServer((_, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end(body) })
    .listen(Number(process.env.PORT), "127.0.0.1")
`

/** Where request logs go: answers 200 to every batch, so shipping costs the edge what it would. */
const startLogSink = async () => {
  let batches = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      batches += 1
      res.writeHead(200, { "content-type": "application/json" })
      res.end('{"accepted":0,"rejected":0,"duplicate":0,"errors":[]}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/** One GET over a kept-alive connection; its status and latency in ms. */
const timedGet = (base: string, path: string, hostHeader: string) =>
  new Promise<{ status: number; ms: number }>((resolve, reject) => {
    const url = new URL(base)
    const start = performance.now()
    const req = request(
      { host: url.hostname, port: url.port, path, headers: { host: hostHeader }, agent },
      (res) => {
        res.resume()
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }))
      }
    )
    req.on("error", reject)
    req.end()
  })

const startEdge = async (dataDir: string, origin: string, tenantryUrl: string) => {
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ["apps/edge/main.ts"], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      EDGE_PORT: String(port),
      ORIGIN_OVERRIDES: JSON.stringify({ "https://www.bench.test": origin }),
      TENANTRY_URL: tenantryUrl
    },
    stdio: ["ignore", "ignore", "inherit"]
  })
  const base = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the edge exited with ${child.exitCode}`)
    const up = await timedGet(base, "/warm", host).catch(() => undefined)
    if (up?.status === 200) break
    if (attempt > 300) throw new Error("the edge did not come up")
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      })
  }
}

const snapshot: EdgeSnapshot = {
  schemaVersion: 1,
  tenantId: "tnt_bench0000000001",
  slug: "bench",
  cms: { cms: "generic", apiOrigin: "https://api.bench.test" },
  proxyBase: `https://${host}`,
  publicOrigin: `https://${host}`,
  websiteOrigin: "https://www.bench.test",
  siteProxy: true,
  cache: { ttl: 3600, apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 1 },
  api: null,
  gate: { apiProxy: "closed_unconfigured", siteProxy: "open" },
  customDomains: [],
  overQuota: false,
  quotaMonth: null,
  quotaAction: "report",
  updatedAt: new Date().toISOString()
}

const dataDir = await mkdtemp(join(tmpdir(), "tenantry-bench-edge-"))
await mkdir(join(dataDir, "kv"), { recursive: true })
await writeFile(join(dataDir, "kv", fileNameFor("proxy:bench")), JSON.stringify(snapshot))
const origin = await startBaseline(originSource)
const sink = await startLogSink()
const edge = await startEdge(dataDir, origin.base, sink.url)

interface Row {
  readonly row: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly non2xx: number
  readonly target: string
}

try {
  const load = async (
    row: string,
    target: string,
    base: string,
    headers: Record<string, string>
  ): Promise<Row> => {
    await runLoad(base, [{ method: "GET", path: "/page", headers }], {
      seconds: warmUpSeconds(seconds),
      connections
    })
    const result = await runLoad(base, [{ method: "GET", path: "/page", headers }], { seconds, connections })
    return {
      row,
      rps: result.rps,
      p50: result.p50,
      p99: result.p99,
      non2xx: result.requests - result.status2xx + result.errors,
      target
    }
  }
  const raw = await load("baseline: raw node:http, static HTML", "(reference)", origin.base, {})
  const hit = await load("edge HIT (Node host), same body", "≥ 0.6× raw", edge.base, { Host: host })
  printTable(
    `Edge HIT (${await loadGenerator()}): ${connections} connections, ${seconds} s per row, load generator on the same 2-core box`,
    ["row", "req/s", "vs raw", "p50", "p99", "non-2xx", "target"],
    [raw, hit].map((row) => [row.row, ...loadCells(row, raw.rps), row.non2xx, row.target])
  )

  // MISS: direct and through the edge, interleaved request by request so both see the same box.
  const direct: Array<number> = []
  const through: Array<number> = []
  let failures = 0
  // The first requests warm both paths up and are not counted (100, or a tenth of a short run).
  const warmUp = Math.min(100, Math.floor(misses / 10))
  for (let i = 0; i < misses; i++) {
    const path = `/miss-${i}?q=${i}`
    const a = await timedGet(origin.base, path, "www.bench.test")
    const b = await timedGet(edge.base, path, host)
    if (a.status !== 200 || b.status !== 200) failures += 1
    if (i >= warmUp) {
      direct.push(a.ms)
      through.push(b.ms)
    }
  }
  direct.sort((x, y) => x - y)
  through.sort((x, y) => x - y)
  const fmt = (ms: number) => `${ms.toFixed(3)} ms`
  const rows = [
    ["origin, direct", fmt(percentile(direct, 50)), fmt(percentile(direct, 99)), "—", "(reference)"],
    [
      "through the edge (MISS: route, fetch, store)",
      fmt(percentile(through, 50)),
      fmt(percentile(through, 99)),
      fmt(percentile(through, 50) - percentile(direct, 50)),
      "≤ 1 ms at p50"
    ]
  ]
  printTable(
    `Edge MISS overhead: ${direct.length} sequential requests on one kept-alive connection, each path new`,
    ["row", "p50", "p99", "p50 overhead", "target"],
    rows
  )
  console.log(`\nlog batches shipped during the run: ${sink.batches()}`)
  if (raw.non2xx + hit.non2xx + failures > 0) {
    console.error(`bench failed: non-2xx answers (raw ${raw.non2xx}, hit ${hit.non2xx}, miss ${failures})`)
    process.exitCode = 1
  }
} finally {
  agent.destroy()
  await edge.close()
  await origin.close()
  await sink.close()
  await rm(dataDir, { recursive: true, force: true })
}
