import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { Agent, request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

/**
 * HTTP load for the HTTP benches: wrk (https://github.com/wg/wrk; Debian: `apt-get install
 * wrk`) when it is on the PATH, else a generator in this process. The load generator shares
 * the 2-core box with the server under test, so its own cost counts: wrk, in C on its own
 * thread, spends a fraction of the CPU a generator in Node spends per request, and leaves it
 * to the server. The Node generator is there so that every bench runs anywhere (the suite's
 * bench smoke runs them all under CI, where wrk may be absent); its rows are not comparable
 * with wrk's, and the run says which generator it used on stderr and in `generator`.
 *
 * Each connection sends `requests` round-robin and answers are counted by status class;
 * latencies run from each request's send to its answer.
 */

export interface LoadRequest {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  /** Answers per second over the run. */
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly status2xx: number
  readonly status4xx: number
  readonly status5xx: number
  /** Connect, read and write errors and timeouts. */
  readonly errors: number
  readonly generator: "wrk" | "node"
}

export interface LoadOptions {
  readonly seconds: number
  readonly connections: number
  /**
   * A pause after each answer before the connection's next request: a paced load of about
   * connections × 1000 / (latency + thinkMillis) requests/s instead of as many as the
   * server takes. Latency that grows slows the pace (neither generator sends on a schedule).
   */
  readonly thinkMillis?: number
}

/** A Lua string literal: printable ASCII as is, anything else as a decimal byte escape. */
const lua = (text: string) =>
  `"${[...Buffer.from(text, "utf8")]
    .map((byte) =>
      byte === 0x22 || byte === 0x5c
        ? `\\${String.fromCharCode(byte)}`
        : byte >= 0x20 && byte < 0x7f
          ? String.fromCharCode(byte)
          : `\\${byte}`
    )
    .join("")}"`

const script = (requests: ReadonlyArray<LoadRequest>, thinkMillis: number | undefined) => `
-- Built in init, once the thread knows its host: wrk.format adds the Host header.
local requests = {}
local function build()
  return {
${requests
  .map(
    (request) =>
      `    wrk.format(${lua(request.method)}, ${lua(request.path)}, {${Object.entries(request.headers ?? {})
        .map(([name, value]) => `[${lua(name)}] = ${lua(value)}`)
        .join(", ")}}, ${request.body === undefined ? "nil" : lua(request.body)}),`
  )
  .join("\n")}
  }
end
local turn = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  ok, client, server = 0, 0, 0
  requests = build()
end
function request()
  turn = turn % #requests + 1
  return requests[turn]
end${thinkMillis === undefined ? "" : `\nfunction delay() return ${thinkMillis} end`}
function response(status, headers, body)
  if status >= 500 then server = server + 1 elseif status >= 400 then client = client + 1 else ok = ok + 1 end
end
function done(summary, latency, requests)
  local ok, client, server = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("ok"); client = client + thread:get("client"); server = server + thread:get("server")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests":%d,"micros":%d,"p50":%d,"p99":%d,"ok":%d,"client":%d,"server":%d,"errors":%d}\\n',
    summary.requests, summary.duration, math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
    ok, client, server, errors))
end
`

/** Runs wrk against `base` for `seconds` over `connections` connections (one thread). */
const runWrk = async (
  base: string,
  requests: ReadonlyArray<LoadRequest>,
  options: LoadOptions
): Promise<LoadResult> => {
  const dir = await mkdtemp(join(tmpdir(), "tenantry-wrk-"))
  try {
    const file = join(dir, "load.lua")
    await writeFile(file, script(requests, options.thinkMillis))
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        "wrk",
        ["-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--timeout", "10s", "-s", file, base],
        (error, stdout, stderr) => {
          if (error !== null) reject(new Error(`wrk failed: ${stderr || error.message}`))
          else resolve(stdout)
        }
      )
    )
    const line = /^RESULT (.*)$/m.exec(output)
    if (line === null) throw new Error(`wrk printed no result:\n${output}`)
    const raw = JSON.parse(line[1]!) as Record<string, number>
    const seconds = raw.micros! / 1e6
    return {
      requests: raw.requests!,
      seconds,
      rps: raw.requests! / seconds,
      p50: raw.p50! / 1000,
      p99: raw.p99! / 1000,
      status2xx: raw.ok!,
      status4xx: raw.client!,
      status5xx: raw.server!,
      errors: raw.errors!,
      generator: "wrk"
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The same load from this process: one keep-alive socket a connection, each sending in turn. */
const runInProcess = async (
  base: string,
  requests: ReadonlyArray<LoadRequest>,
  options: LoadOptions
): Promise<LoadResult> => {
  const url = new URL(base)
  const latencies: Array<number> = []
  let status2xx = 0
  let status4xx = 0
  let status5xx = 0
  let errors = 0
  const started = performance.now()
  const deadline = started + options.seconds * 1000
  const send = (agent: Agent, request: LoadRequest) =>
    new Promise<number>((resolve, reject) => {
      const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8")
      const outgoing = httpRequest(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: request.method,
          path: request.path,
          headers: { ...request.headers, ...(body === undefined ? {} : { "content-length": body.length }) },
          timeout: 10_000
        },
        (response) => {
          response.resume()
          response.once("end", () => resolve(response.statusCode ?? 0))
          response.once("error", reject)
        }
      )
      outgoing.once("timeout", () => outgoing.destroy(new Error("timeout")))
      outgoing.once("error", reject)
      outgoing.end(body)
    })
  const connection = async (index: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    let turn = index % requests.length
    try {
      while (performance.now() < deadline) {
        const request = requests[turn]!
        turn = (turn + 1) % requests.length
        const sent = performance.now()
        try {
          const status = await send(agent, request)
          latencies.push(performance.now() - sent)
          if (status >= 500) status5xx++
          else if (status >= 400) status4xx++
          else status2xx++
        } catch {
          errors++
        }
        if (options.thinkMillis !== undefined)
          await new Promise((resolve) => setTimeout(resolve, options.thinkMillis))
      }
    } finally {
      agent.destroy()
    }
  }
  await Promise.all(Array.from({ length: options.connections }, (_, index) => connection(index)))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  return {
    requests: latencies.length + errors,
    seconds,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    status2xx,
    status4xx,
    status5xx,
    errors,
    generator: "node"
  }
}

const wrkOnPath = new Promise<boolean>((resolve) =>
  execFile("wrk", ["--version"], (error) =>
    resolve(error === null || !("code" in error) || error.code !== "ENOENT")
  )
)
let toldGenerator = false

/**
 * The generator of this run: `BENCH_LOAD=wrk` insists on wrk, `BENCH_LOAD=node` on the
 * in-process one; unset, wrk when it is on the PATH.
 */
export const loadGenerator = async (): Promise<"wrk" | "node"> => {
  const wanted = process.env.BENCH_LOAD
  const onPath = await wrkOnPath
  if (wanted === "wrk" && !onPath)
    throw new Error("BENCH_LOAD=wrk but wrk is not on the PATH (Debian: apt-get install wrk)")
  const generator = wanted === "node" || !onPath ? "node" : "wrk"
  if (!toldGenerator) {
    toldGenerator = true
    process.stderr.write(
      generator === "wrk"
        ? "load generator: wrk\n"
        : "load generator: in-process Node (wrk is not on the PATH, or BENCH_LOAD=node): rows are not comparable with wrk's\n"
    )
  }
  return generator
}

export const runLoad = async (
  base: string,
  requests: ReadonlyArray<LoadRequest>,
  options: LoadOptions
): Promise<LoadResult> =>
  (await loadGenerator()) === "wrk" ? runWrk(base, requests, options) : runInProcess(base, requests, options)

/** A warm-up before a measured row: as long as the row, at most 2 s. */
export const warmUpSeconds = (seconds: number) => Math.min(2, seconds)
