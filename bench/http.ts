/**
 * HTTP load: GET /api/tenants/{slug} and POST …/refresh-cache, authenticated, against a
 * real Tenantry server in its own process, beside a raw node:http server answering a
 * static JSON body, measured in the same run on the same box.
 *
 *   npm run bench:http                 # PostgreSQL (BENCH_DATABASE_URL) and PGlite
 *   npm run bench:http -- postgres     # one engine
 * Settings: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import autocannon from "autocannon"
import { Effect } from "effect"
import { loadOrCreateDevKeys, mintDevToken } from "../adapters/auth/devKeys.ts"
import { type EngineName, parseEngines, postgresUrl } from "./support.ts"

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const node = process.execPath

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const waitFor = async (url: string, child: ChildProcess) => {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not come up`)
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

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

const load = async (
  row: string,
  target: string,
  options: Parameters<typeof autocannon>[0]
): Promise<Measured> => {
  await autocannon({ ...options, duration: 2, connections }) // warm-up
  const result = await autocannon({ ...options, duration: seconds, connections })
  return {
    row,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    target
  }
}

const benchEngine = async (engine: EngineName): Promise<ReadonlyArray<Measured>> => {
  const dataDir = await mkdtemp(join(tmpdir(), "tenantry-bench-http-"))
  const port = await freePort()
  let dropDatabase = async () => {}
  const env: Record<string, string> = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir
  } as never
  if (engine === "postgres") {
    const name = `tenantry_bench_http_${Date.now().toString(36)}`
    const { SqlClient } = await import("effect/sql")
    const { PgClient } = await import("@effect/sql-pg")
    const { Redacted } = await import("effect")
    const run = (statement: string) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql.unsafe(statement)
        }).pipe(
          Effect.provide(PgClient.layer({ url: Redacted.make(postgresUrl), maxConnections: 1 })),
          Effect.orDie
        )
      )
    await run(`CREATE DATABASE ${name}`)
    dropDatabase = () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    const url = new URL(postgresUrl)
    url.pathname = `/${name}`
    env.DATABASE_URL = url.toString()
  }
  const server = spawn(node, ["apps/server/main.ts"], { env, stdio: ["ignore", "ignore", "inherit"] })
  try {
    const base = `http://127.0.0.1:${port}`
    await waitFor(`${base}/healthz`, server)
    const keys = await Effect.runPromise(loadOrCreateDevKeys(dataDir))
    const token = await Effect.runPromise(mintDevToken({ ...keys, userId: "user_bench", ttlSeconds: 3600 }))
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const created = await fetch(`${base}/api/tenants`, {
      method: "POST",
      headers,
      body: JSON.stringify({ slug: "bench", cms: "contentful", spaceId: "abc123" })
    })
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`)
    const read = await load(`${engine}: GET /api/tenants/bench`, "≥ 25,000 req/s, p99 ≤ 5 ms (PostgreSQL)", {
      url: `${base}/api/tenants/bench`,
      headers
    })
    const refresh = await load(`${engine}: POST …/refresh-cache`, "≥ 5,000 req/s, p99 ≤ 20 ms (PostgreSQL)", {
      url: `${base}/api/tenants/bench/refresh-cache`,
      method: "POST",
      headers,
      body: JSON.stringify({ type: "api" })
    })
    return [read, refresh]
  } finally {
    await stop(server)
    await dropDatabase()
    await rm(dataDir, { recursive: true, force: true })
  }
}

const baseline = async (): Promise<Measured> => {
  const port = await freePort()
  const server = spawn(node, ["-e", baselineSource], {
    env: { ...process.env, PORT: String(port) },
    stdio: "ignore"
  })
  try {
    await waitFor(`http://127.0.0.1:${port}/`, server)
    return await load("baseline: raw node:http, static JSON", "(reference)", {
      url: `http://127.0.0.1:${port}/`
    })
  } finally {
    await stop(server)
  }
}

const rows: Array<Measured> = [await baseline()]
for (const engine of parseEngines(process.argv[2])) rows.push(...(await benchEngine(engine)))

const raw = rows[0]!.rps
console.log(
  `\nHTTP load: ${connections} connections, ${seconds} s per row, load generator on the same ${"2-core"} box\n`
)
console.log("| row | req/s | vs raw | p50 | p99 | non-2xx | target |")
console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
for (const row of rows) {
  console.log(
    `| ${row.row} | ${Math.round(row.rps).toLocaleString("en-US")} | ${(row.rps / raw).toFixed(2)}× | ${row.p50} ms | ${row.p99} ms | ${row.non2xx} | ${row.target} |`
  )
}
