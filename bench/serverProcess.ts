import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { loadOrCreateDevKeys, mintDevToken } from "../adapters/auth/devKeys.ts"
import { type EngineName, postgresUrl } from "./support.ts"

/** Shared by the HTTP benches: a real server (or a baseline) in its own process on loopback. */

const node = process.execPath

export const freePort = () =>
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

const exec = (statement: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(statement)
    }).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(postgresUrl), maxConnections: 1 })),
      Effect.orDie
    )
  )

export interface BenchServer {
  readonly base: string
  /** A session token for `userId`, signed with the server's dev key. */
  readonly token: (userId: string) => Promise<string>
  readonly close: () => Promise<void>
  /** CPU seconds the server process has used so far (user + system), where /proc tells. */
  readonly cpuSeconds: () => number | undefined
  /** The server's own PostgreSQL database (undefined on PGlite). */
  readonly databaseUrl: string | undefined
  readonly pid: number | undefined
}

/** user + system CPU seconds of a process, from /proc (Linux); undefined elsewhere. */
export const cpuSecondsOf = (pid: number | undefined) => (): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond
  } catch {
    return undefined
  }
}
/**
 * user + system CPU seconds of every process on this box whose command is `command` (for
 * PostgreSQL: the postmaster and its backends); undefined where /proc does not tell. A
 * database on another machine shows as 0: the column is for a box that runs both.
 */
export const cpuSecondsOfCommand = (command: string) => (): number | undefined => {
  let pids: Array<string>
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))
  } catch {
    return undefined
  }
  let seconds = 0
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== command) continue
      seconds += cpuSecondsOf(Number(pid))() ?? 0
    } catch {
      // It ended between the listing and the read.
    }
  }
  return seconds
}

/**
 * CPU seconds the whole box has spent busy (every core: user, nice, system, irq, softirq,
 * steal; not idle or iowait), from /proc/stat; undefined elsewhere.
 */
export const boxBusySeconds = (): number | undefined => {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
    const [user, nice, system, , , irq, softirq, steal] = fields
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      clockTicksPerSecond
    )
  } catch {
    return undefined
  }
}

// USER_HZ: 100 on every Linux this runs on.
const clockTicksPerSecond = 100

/**
 * Tenantry on a free port over a fresh database of the engine (a temp DATA_DIR; a new
 * PostgreSQL database). `root`: the checkout whose server runs (default this one; the
 * side-by-side bench also starts a checkout of an older release, see baseline.ts).
 */
export const startServer = async (
  engine: EngineName,
  extraEnv: Record<string, string> = {},
  options: { readonly root?: string } = {}
): Promise<BenchServer> => {
  const dataDir = await mkdtemp(join(tmpdir(), "tenantry-bench-"))
  const port = await freePort()
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    ...extraEnv
  }
  let dropDatabase = async () => {}
  if (engine === "postgres") {
    const name = `tenantry_bench_http_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
    await exec(`CREATE DATABASE ${name}`)
    // The server also makes its logs database beside it (`{name}_logs`, see LogsDatabase.ts).
    dropDatabase = async () => {
      await exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await exec(`DROP DATABASE IF EXISTS ${name}_logs WITH (FORCE)`)
    }
    const url = new URL(postgresUrl)
    url.pathname = `/${name}`
    env.DATABASE_URL = url.toString()
  }
  const root = options.root ?? process.cwd()
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server
  // under a bench's load (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "")
  const server = spawn(node, [...nodeArgs, join(root, "apps/server/main.ts")], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", "inherit"]
  })
  const base = `http://127.0.0.1:${port}`
  const close = async () => {
    await stop(server)
    await dropDatabase()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    await waitFor(`${base}/healthz`, server)
  } catch (error) {
    await close()
    throw error
  }
  const keys = await Effect.runPromise(loadOrCreateDevKeys(dataDir))
  return {
    base,
    token: (userId) => Effect.runPromise(mintDevToken({ ...keys, userId, ttlSeconds: 3600 })),
    close,
    cpuSeconds: cpuSecondsOf(server.pid),
    databaseUrl: engine === "postgres" ? env.DATABASE_URL : undefined,
    pid: server.pid
  }
}

/** A raw node:http server from `source` (it listens on process.env.PORT), for the baseline row. */
export const startBaseline = async (source: string) => {
  const port = await freePort()
  const server = spawn(node, ["-e", source], { env: { ...process.env, PORT: String(port) }, stdio: "ignore" })
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}/`, server)
  return { base, close: () => stop(server), cpuSeconds: cpuSecondsOf(server.pid) }
}

/** A node script of this checkout in its own process, up once `GET /` answers (e.g. handwrittenRead.ts). */
export const startScript = async (script: string, env: Record<string, string>) => {
  const port = await freePort()
  const server = spawn(node, [script], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"]
  })
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}/`, server)
  return { base, close: () => stop(server), cpuSeconds: cpuSecondsOf(server.pid) }
}

/** What every HTTP bench row reports first: throughput against the raw baseline, then latency. */
export const loadCells = (
  row: { readonly rps: number; readonly p50: number; readonly p99: number },
  rawRps: number
) => [
  Math.round(row.rps).toLocaleString("en-US"),
  `${(row.rps / rawRps).toFixed(2)}×`,
  `${row.p50.toFixed(1)} ms`,
  `${row.p99.toFixed(1)} ms`
]

/** A Markdown table as the HTTP benches print it: the first and last columns text, the rest numbers. */
export const printTable = (
  title: string,
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | number>>
) => {
  console.log(`\n${title}\n`)
  console.log(`| ${header.join(" | ")} |`)
  console.log(
    `| ${header.map((_, i) => (i === 0 || i === header.length - 1 ? "---" : "---:")).join(" | ")} |`
  )
  for (const row of rows) console.log(`| ${row.join(" | ")} |`)
}
