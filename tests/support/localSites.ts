import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** A real HTTP server on 127.0.0.1 and a free port, counting the requests it answers. */
export interface LocalSite {
  readonly port: number
  /** `http://127.0.0.1:{port}`, for ORIGIN_OVERRIDES targets. */
  readonly base: string
  /** How many HTTP requests arrived (a connection that sent none is not one). */
  readonly requests: () => number
  /** The `Host` of every request, in order. */
  readonly hosts: () => ReadonlyArray<string>
  /** The headers of every request, in order. */
  readonly requestHeaders: () => ReadonlyArray<IncomingMessage["headers"]>
  readonly close: () => Promise<void>
}

export type SiteHandler = (request: IncomingMessage, response: ServerResponse) => void

export const startLocalSite = async (handler: SiteHandler): Promise<LocalSite> => {
  let count = 0
  const hosts: Array<string> = []
  const headers: Array<IncomingMessage["headers"]> = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((request, response) => {
    count++
    hosts.push(request.headers.host ?? "")
    headers.push(request.headers)
    handler(request, response)
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    requests: () => count,
    hosts: () => hosts,
    requestHeaders: () => headers,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** A handler answering every request with one HTML page. */
export const htmlPage =
  (html: string, headers: Record<string, string> = {}): SiteHandler =>
  (_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", ...headers })
    response.end(html)
  }
