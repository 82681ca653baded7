import type { IncomingMessage } from "node:http"
import type { HttpServerRequest } from "effect/http"

/**
 * One request header as node:http parsed it (names lower-cased, repeats joined with ", "),
 * read without building the framework's own copy of every header, which reading
 * `request.headers` does once per request. For the few headers middleware on every
 * request reads; a request that is not node:http's falls back to `request.headers`.
 */
export const rawHeader = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined => {
  const source = request.source as Partial<IncomingMessage>
  if (source.socket === undefined || typeof source.headers !== "object" || source.headers === null)
    return request.headers[name]
  const value = source.headers[name]
  return typeof value === "string" ? value : undefined
}
