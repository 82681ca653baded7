import { randomBytes } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { Effect } from "effect"
import { HttpServerRequest } from "effect/http"

const sane = /^[A-Za-z0-9._:-]{1,128}$/

// A random per-process prefix and a counter: unique, unguessable enough for correlation,
// and far cheaper per request than a UUID.
const prefix = `req_${randomBytes(6).toString("hex")}`
let counter = 0

export const requestIdFor = (incoming: string | undefined): string =>
  incoming !== undefined && sane.test(incoming)
    ? incoming
    : `${prefix}${(counter++).toString(36).padStart(6, "0")}`

/** The id of a request served straight on node:http (before the Effect application). */
export const nodeRequestId = (request: IncomingMessage): string => {
  const incoming = request.headers["x-request-id"]
  return requestIdFor(typeof incoming === "string" ? incoming : undefined)
}

// The envelope assigns each request its id once; handlers look it up by the request.
const assigned = new WeakMap<object, string>()

export const assignRequestId = (request: HttpServerRequest.HttpServerRequest): string => {
  const id = requestIdFor(request.headers["x-request-id"])
  assigned.set(request.source as object, id)
  return id
}

/** The id of the request being served: echoed from a sane incoming X-Request-ID, else generated. */
export const CurrentRequestId = Effect.map(
  Effect.service(HttpServerRequest.HttpServerRequest),
  (request) => assigned.get(request.source as object) ?? requestIdFor(request.headers["x-request-id"])
)
