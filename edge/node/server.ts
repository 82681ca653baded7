import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Readable } from "node:stream"
import type { Edge, EdgeAnswer, EdgeRequest } from "../core.ts"

/**
 * Request bodies the edge forwards are bounded: a larger declared length is 413 at once; a
 * chunked body is counted as it streams to the origin and cut (413) when it passes the bound.
 */
export const defaultMaxRequestBodyBytes = 50 * 1024 * 1024

/** Whether a streamed body passed the bound (then the answer is 413, whatever the origin said). */
interface BodyBound {
  exceeded: boolean
}

/** The body as it streams, failing once more than `limit` bytes have come. */
const bounded = (body: ReadableStream<Uint8Array>, limit: number, bound: BodyBound) => {
  let seen = 0
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen <= limit) {
          controller.enqueue(chunk)
          return
        }
        bound.exceeded = true
        controller.error(new Error("request body over the bound"))
      }
    })
  )
}

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

const toRequest = (incoming: IncomingMessage, limit: number, bound: BodyBound): EdgeRequest => {
  const method = incoming.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD"
  // The URL's authority is not trusted (Host may be anything); the core reads the header.
  const target = (incoming.url ?? "/").startsWith("/") ? (incoming.url ?? "/") : "/"
  return {
    method,
    url: `http://edge.invalid${target}`,
    headers: new NodeHeaders(incoming.headers),
    body: hasBody ? bounded(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, limit, bound) : null
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

const tooLarge = (outgoing: ServerResponse, limit: number) => {
  if (outgoing.headersSent) {
    outgoing.destroy()
    return
  }
  // The rest of the body is not read: the connection closes after the answer.
  outgoing.writeHead(413, { "content-type": "application/json; charset=utf-8", connection: "close" })
  outgoing.end(
    JSON.stringify({ error: "payload_too_large", message: `Bodies are limited to ${limit} bytes.` })
  )
}

/** The core behind a node:http server: Request in, Response out, streamed both ways. */
export const edgeServer = (
  edge: Pick<Edge, "serve">,
  options: { readonly maxRequestBodyBytes?: number } = {}
): Server => {
  const limit = options.maxRequestBodyBytes ?? defaultMaxRequestBodyBytes
  return createServer((incoming, outgoing) => {
    if (Number(incoming.headers["content-length"] ?? 0) > limit) {
      tooLarge(outgoing, limit)
      return
    }
    const bound: BodyBound = { exceeded: false }
    edge
      .serve(toRequest(incoming, limit, bound), { clientIp: incoming.socket.remoteAddress })
      .then((answer) => {
        if (!bound.exceeded) return writeAnswer(answer, outgoing)
        if (answer.body instanceof ReadableStream) answer.body.cancel().catch(() => undefined)
        tooLarge(outgoing, limit)
      })
      .catch(() => (bound.exceeded ? tooLarge(outgoing, limit) : internal(outgoing)))
  })
}
