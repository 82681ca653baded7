import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Readable } from "node:stream"
import type { Edge, EdgeAnswer, EdgeRequest } from "../core.ts"

/** Request bodies the edge forwards are bounded (a larger declared one is 413). */
const maxRequestBodyBytes = 50 * 1024 * 1024

/**
 * The request as the core reads it (EdgeRequest), straight over node's parsed headers:
 * building a full Fetch Request for every hit costs more than serving it.
 */
class NodeHeaders {
  readonly #headers: IncomingMessage["headers"]
  constructor(headers: IncomingMessage["headers"]) {
    this.#headers = headers
  }
  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()]
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value
  }
  has(name: string): boolean {
    return this.#headers[name.toLowerCase()] !== undefined
  }
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const [name, value] of Object.entries(this.#headers)) {
      if (value === undefined) continue
      // Set-Cookie never comes in a request; any other repeated header folds as Headers would.
      yield [name, Array.isArray(value) ? value.join(", ") : value]
    }
  }
}

const toRequest = (incoming: IncomingMessage): EdgeRequest => {
  const method = incoming.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD"
  // The URL's authority is not trusted (Host may be anything); the core reads the header.
  const target = (incoming.url ?? "/").startsWith("/") ? (incoming.url ?? "/") : "/"
  return {
    method,
    url: `http://edge.invalid${target}`,
    headers: new NodeHeaders(incoming.headers),
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : null
  }
}

const writeAnswer = async (answer: EdgeAnswer, outgoing: ServerResponse) => {
  const flat: Array<string> = []
  for (const [name, value] of answer.headers) flat.push(name, value)
  outgoing.writeHead(answer.status, answer.statusText || undefined, flat)
  const body = answer.body
  if (body === null) {
    outgoing.end()
    return
  }
  if (body instanceof Uint8Array) {
    outgoing.end(body)
    return
  }
  const reader = body.getReader()
  outgoing.on("close", () => {
    if (!outgoing.writableFinished) reader.cancel().catch(() => undefined)
  })
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!outgoing.write(value)) await new Promise<void>((resolve) => outgoing.once("drain", resolve))
    if (outgoing.destroyed) return
  }
  outgoing.end()
}

const internal = (outgoing: ServerResponse) => {
  if (outgoing.headersSent) {
    outgoing.destroy()
    return
  }
  outgoing.writeHead(500, { "content-type": "application/json; charset=utf-8" })
  outgoing.end(JSON.stringify({ error: "internal", message: "The edge failed to answer." }))
}

/** The core behind a node:http server: Request in, Response out, streamed both ways. */
export const edgeServer = (edge: Edge): Server =>
  createServer((incoming, outgoing) => {
    const declared = Number(incoming.headers["content-length"] ?? 0)
    if (declared > maxRequestBodyBytes) {
      outgoing.writeHead(413, { "content-type": "application/json; charset=utf-8", connection: "close" })
      outgoing.end(
        JSON.stringify({
          error: "payload_too_large",
          message: `Bodies are limited to ${maxRequestBodyBytes} bytes.`
        })
      )
      return
    }
    const request = toRequest(incoming)
    edge
      .serve(request, { clientIp: incoming.socket.remoteAddress })
      .then((answer) => writeAnswer(answer, outgoing))
      .catch(() => internal(outgoing))
  })
