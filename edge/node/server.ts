import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Readable } from "node:stream"
import type { Edge } from "../core.ts"

/** Request bodies the edge forwards are bounded (a larger declared one is 413). */
const maxRequestBodyBytes = 50 * 1024 * 1024

const toRequest = (incoming: IncomingMessage, signal: AbortSignal): Request => {
  const headers = new Headers()
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
    const name = incoming.rawHeaders[i] as string
    // Host is kept as given (the core routes by it); anything undici will not carry is dropped.
    try {
      headers.append(name, incoming.rawHeaders[i + 1] as string)
    } catch {}
  }
  const method = incoming.method ?? "GET"
  const hasBody = method !== "GET" && method !== "HEAD"
  // The URL's authority is not trusted (Host may be anything); the core reads the header.
  const target = (incoming.url ?? "/").startsWith("/") ? (incoming.url ?? "/") : "/"
  return new Request(`http://edge.invalid${target}`, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : null,
    signal,
    // undici's streaming request bodies need it
    duplex: "half"
  })
}

const writeResponse = async (response: Response, outgoing: ServerResponse) => {
  const headers: Record<string, string | Array<string>> = {}
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue
    headers[name] = value
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers["set-cookie"] = cookies
  outgoing.writeHead(response.status, response.statusText || undefined, headers)
  if (response.body === null) {
    outgoing.end()
    return
  }
  const reader = response.body.getReader()
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
    const aborted = new AbortController()
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) aborted.abort()
    })
    let request: Request
    try {
      request = toRequest(incoming, aborted.signal)
    } catch {
      outgoing.writeHead(400, { "content-type": "application/json; charset=utf-8" })
      outgoing.end(JSON.stringify({ error: "validation_failed", message: "The request could not be read." }))
      return
    }
    edge
      .handle(request, { clientIp: incoming.socket.remoteAddress })
      .then((response) => writeResponse(response, outgoing))
      .catch(() => internal(outgoing))
  })
