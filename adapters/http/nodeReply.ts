import type { ServerResponse } from "node:http"

/**
 * A JSON answer written straight on node:http, for what is served before the Effect
 * application (see receiverGate.ts), with the headers the envelope gives every answer.
 */
export const replyJson = (
  response: ServerResponse,
  requestId: string,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {}
): void => {
  if (response.headersSent || response.destroyed) return
  const json = JSON.stringify(body)
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
    "x-request-id": requestId,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    ...headers
  })
  response.end(json)
}
