import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { HttpServerRequest } from "effect/http"
import { rawHeader } from "./rawHeaders.ts"

const sane = /^[A-Za-z0-9._:-]{1,128}$/

// A random per-process prefix and a counter: unique, unguessable enough for correlation,
// and far cheaper per request than a UUID.
const prefix = `req_${randomBytes(6).toString("hex")}`
let counter = 0

export const requestIdFor = (incoming: string | undefined): string =>
  incoming !== undefined && sane.test(incoming)
    ? incoming
    : `${prefix}${(counter++).toString(36).padStart(6, "0")}`

// The envelope assigns each request its id once, as a mark on the underlying request
// object (cheaper than a WeakMap entry per request); handlers read it from there.
const requestIdMark = Symbol("tenantry/requestId")
type Marked = { [requestIdMark]?: string }

export const assignRequestId = (request: HttpServerRequest.HttpServerRequest): string => {
  const id = requestIdFor(rawHeader(request, "x-request-id"))
  ;(request.source as Marked)[requestIdMark] = id
  return id
}

/** The id of the request being served: echoed from a sane incoming X-Request-ID, else generated. */
export const CurrentRequestId = Effect.map(
  Effect.service(HttpServerRequest.HttpServerRequest),
  (request) => (request.source as Marked)[requestIdMark] ?? requestIdFor(rawHeader(request, "x-request-id"))
)
