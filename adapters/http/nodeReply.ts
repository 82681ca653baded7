import type { ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { envelopeHeaders, errorBody, malformedRequest } from "./envelope.ts"
import { requestIdFor } from "./requestId.ts"

/** How long a closed connection may take to flush the answer before it is destroyed. */
const closeGraceMillis = 500

const closeSocket = (socket: Socket) => {
  if (socket.destroyed) return
  socket.end()
  const timer = setTimeout(() => socket.destroy(), closeGraceMillis)
  socket.once("close", () => clearTimeout(timer))
}

/** Node's parser errors by code: the status it answers them with (else 400 Bad Request). */
const clientErrorStatus: Record<string, { readonly status: number; readonly reason: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: "Request Header Fields Too Large" },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, reason: "Payload Too Large" },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: "Request Timeout" }
}

/**
 * node:http's `clientError`: a request its parser refuses (a malformed request line or
 * header, headers over the size limit, a request that never finished arriving) never
 * reaches the application, and node:http would answer it with an empty body. It gets the
 * envelope like every other answer (JSON, `X-Request-ID`), and the connection is done
 * with: nothing more is read from it (a request cut short by a 408 must not go on), and it
 * is closed both ways once the answer is out.
 */
export const answerClientError = (error: Error & { readonly code?: string }, socket: Socket): void => {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy()
    return
  }
  socket.pause()
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  if (inFlight != null && (inFlight.headersSent || inFlight.req.complete)) {
    // An answer is under way, or the error is a pipelined later request's while the one
    // before it is still being served: ours would pass for that answer. It goes out, then
    // the connection closes.
    if (inFlight.writableFinished) socket.destroy()
    else inFlight.once("close", () => socket.destroy())
    return
  }
  const known = error.code === undefined ? undefined : clientErrorStatus[error.code]
  const status = known?.status ?? 400
  const json = JSON.stringify(
    errorBody(status, status === 400 ? { errors: { request: [malformedRequest] } } : {})
  )
  const headers = { ...envelopeHeaders(requestIdFor(undefined)), connection: "close" }
  socket.write(
    [
      `HTTP/1.1 ${status} ${known?.reason ?? "Bad Request"}`,
      "content-type: application/json",
      `content-length: ${Buffer.byteLength(json)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      json
    ].join("\r\n")
  )
  closeSocket(socket)
}
