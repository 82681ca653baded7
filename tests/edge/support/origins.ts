import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"

/** What an origin received. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export interface Origin {
  readonly url: string
  readonly seen: Array<Seen>
  /** Answers `path` (without query) with `handler` from now on. */
  readonly route: (
    path: string,
    handler: (req: IncomingMessage, res: ServerResponse, body: string) => void
  ) => void
  readonly close: () => Promise<void>
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

/**
 * A real origin on loopback that records every request. Unrouted paths answer 200 with
 * a body naming the path and a counter, so a HIT (same counter) tells from a MISS.
 */
export const startOrigin = async (name: string): Promise<Origin> => {
  const seen: Array<Seen> = []
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>()
  let counter = 0
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
      const path = (req.url ?? "/").split("?")[0] ?? "/"
      const handler = routes.get(path)
      if (handler !== undefined) return handler(req, res, body)
      counter += 1
      res.writeHead(200, { "content-type": "text/plain" })
      res.end(`${name} ${req.url} #${counter}`)
    })
  })
  return {
    url: await listen(server),
    seen,
    route: (path, handler) => routes.set(path, handler),
    close: () => close(server)
  }
}

/** A stand-in for `POST /api/edge/logs`: records each batch's headers and records. */
export interface Ingest {
  readonly url: string
  readonly batches: Array<{
    readonly headers: IncomingMessage["headers"]
    readonly records: Array<Record<string, unknown>>
  }>
  readonly records: () => Array<Record<string, unknown>>
  /** Answers this status to the next `times` batches (then 200 again). */
  readonly failNext: (status: number, times: number) => void
  readonly close: () => Promise<void>
}

export const startIngest = async (): Promise<Ingest> => {
  const batches: Ingest["batches"] = []
  let failing = { status: 200, times: 0 }
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      if (failing.times > 0) {
        failing = { ...failing, times: failing.times - 1 }
        res.writeHead(failing.status, { "content-type": "application/json" })
        res.end("{}")
        return
      }
      const raw = Buffer.concat(chunks)
      const text =
        req.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8")
      const records = text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      batches.push({ headers: req.headers, records })
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ accepted: records.length, rejected: 0, duplicate: 0, errors: [] }))
    })
  })
  return {
    url: await listen(server),
    batches,
    records: () => batches.flatMap((batch) => batch.records),
    failNext: (status, times) => {
      failing = { status, times }
    },
    close: () => close(server)
  }
}
