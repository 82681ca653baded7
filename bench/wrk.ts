import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * HTTP load from wrk (https://github.com/wg/wrk; Debian: `apt-get install wrk`), for the
 * HTTP benches. The load generator shares the 2-core box with the server under test, so
 * its own cost counts: wrk, in C on its own thread, spends a fraction of the CPU a
 * generator in Node spends per request, and leaves it to the server.
 *
 * Each connection sends `requests` round-robin (a Lua script wrk runs) and answers are
 * counted by status class; latencies are wrk's (from each request's send to its answer).
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
export const wrk = async (
  base: string,
  requests: ReadonlyArray<LoadRequest>,
  options: {
    readonly seconds: number
    readonly connections: number
    /**
     * A pause after each answer before the connection's next request: a paced load of about
     * connections × 1000 / (latency + thinkMillis) requests/s instead of as many as the
     * server takes. Latency that grows slows the pace (wrk cannot send on a schedule).
     */
    readonly thinkMillis?: number
  }
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
          if (error !== null && "code" in error && error.code === "ENOENT") {
            reject(new Error("the HTTP benches need wrk on the PATH (Debian: apt-get install wrk)"))
          } else if (error !== null) reject(new Error(`wrk failed: ${stderr || error.message}`))
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
      errors: raw.errors!
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
