import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * A local stand-in for Cloudflare's Workers KV REST API (the endpoints CloudflareKv uses:
 * `PUT …/bulk`, `POST …/bulk/delete`, `GET …/values/{key}`), with its documented rules:
 * a bearer token, keys of 1–512 bytes that are not `.` or `..`, at most 10,000 pairs a
 * bulk write, the `{ success, errors, messages, result }` envelope. Cloudflare itself is
 * SaaS and out of reach of the tests; this is what they run against.
 */
export interface FakeCloudflare {
  readonly apiBaseUrl: string
  readonly namespaces: Map<string, Map<string, string>>
  readonly requests: Array<{ readonly method: string; readonly path: string }>
  readonly close: () => Promise<void>
}

const envelope = (success: boolean, result: unknown, errors: Array<{ code: number; message: string }> = []) =>
  JSON.stringify({ success, errors, messages: [], result })

const validKey = (key: unknown): key is string =>
  typeof key === "string" &&
  key !== "." &&
  key !== ".." &&
  Buffer.byteLength(key, "utf8") >= 1 &&
  Buffer.byteLength(key, "utf8") <= 512

export const startFakeCloudflare = async (options: { readonly token: string }): Promise<FakeCloudflare> => {
  const namespaces = new Map<string, Map<string, string>>()
  const requests: FakeCloudflare["requests"] = []
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      const path = (req.url ?? "").split("?")[0] ?? ""
      requests.push({ method: req.method ?? "", path })
      const reply = (status: number, text: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type })
        res.end(text)
      }
      if (req.headers.authorization !== `Bearer ${options.token}`) {
        return reply(403, envelope(false, null, [{ code: 10000, message: "Authentication error" }]))
      }
      const match = /^\/client\/v4\/accounts\/([^/]+)\/storage\/kv\/namespaces\/([^/]+)(\/.*)$/.exec(path)
      if (match === null)
        return reply(404, envelope(false, null, [{ code: 7003, message: "No route for that URI" }]))
      const id = `${decodeURIComponent(match[1] ?? "")}/${decodeURIComponent(match[2] ?? "")}`
      const store = namespaces.get(id) ?? new Map<string, string>()
      namespaces.set(id, store)
      const rest = match[3] ?? ""
      if (req.method === "PUT" && rest === "/bulk") {
        let pairs: Array<{ key: unknown; value: unknown }>
        try {
          pairs = JSON.parse(body)
        } catch {
          return reply(400, envelope(false, null, [{ code: 10026, message: "could not parse request body" }]))
        }
        if (!Array.isArray(pairs) || pairs.length > 10_000)
          return reply(
            400,
            envelope(false, null, [{ code: 10026, message: "bulk writes take at most 10,000 pairs" }])
          )
        if (!pairs.every((pair) => validKey(pair.key) && typeof pair.value === "string"))
          return reply(400, envelope(false, null, [{ code: 10019, message: "invalid key or value" }]))
        for (const pair of pairs) store.set(pair.key as string, pair.value as string)
        return reply(200, envelope(true, { successful_key_count: pairs.length, unsuccessful_keys: [] }))
      }
      if (req.method === "POST" && rest === "/bulk/delete") {
        const keys = JSON.parse(body) as Array<unknown>
        if (!Array.isArray(keys) || !keys.every(validKey))
          return reply(400, envelope(false, null, [{ code: 10019, message: "invalid key" }]))
        for (const key of keys) store.delete(key)
        return reply(200, envelope(true, { successful_key_count: keys.length, unsuccessful_keys: [] }))
      }
      const value = /^\/values\/(.+)$/.exec(rest)
      if (req.method === "GET" && value !== null) {
        const key = decodeURIComponent(value[1] ?? "")
        const found = store.get(key)
        return found === undefined
          ? reply(404, envelope(false, null, [{ code: 10009, message: "get: 'key not found'" }]))
          : reply(200, found, "application/octet-stream")
      }
      return reply(405, envelope(false, null, [{ code: 10000, message: "method not allowed" }]))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return {
    apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
    namespaces,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
