import { Context } from "effect"
import type { HttpServerResponse } from "effect/http"

/**
 * Route guards: what a request meets as soon as the router has matched it, before http-api
 * decodes anything or anything reads its body, stated here on the endpoints they apply to
 * (annotations, on an endpoint or its whole group) and applied by one route middleware
 * (adapters/http/routeGuards.ts), in this order: the rate limit, the body limit, the
 * endpoint's screen. An endpoint states none of them pays nothing for them. They answer
 * with the envelope directly (a 429 needs its Retry-After); the endpoints that can meet
 * them list `RateLimited` / `PayloadTooLarge` among their errors for the OpenAPI document.
 */

// Their envelopes are error classes like every other (errors.ts, where statuses are decided).
export { PayloadTooLarge, RateLimited } from "./errors.ts"

/**
 * The token bucket an endpoint's requests are charged to besides their client's (see
 * adapters/http/clientAddress.ts), from the raw path parameters (e.g. the webhook id): 429
 * with Retry-After once either is empty. Every request is charged, refused later or not.
 * An endpoint without one is not rate-limited.
 */
export class RateLimitKey extends Context.Service<
  RateLimitKey,
  (params: Readonly<Record<string, string | undefined>>) => string
>()("tenantry/http/RateLimitKey") {}

/**
 * The largest body an endpoint (or a whole group) accepts, in bytes; 1 MiB where unstated,
 * for every method that carries a body. A declared Content-Length over it is 413 at once,
 * and every reader of the body meets it while streaming (the envelope answers that 413).
 * Nothing reads a body ahead of its handler (or http-api's payload decoder), so a request
 * refused before it never has it asked for, and a client waiting on `Expect:
 * 100-continue` gets the go-ahead only from a reader.
 */
export class MaxBodyBytes extends Context.Service<MaxBodyBytes, number>()("tenantry/http/MaxBodyBytes") {}

export const defaultMaxBodyBytes = 1024 * 1024

/** A screen: an answer refuses the request, undefined lets it through. */
export type ScreenFn = (
  params: Readonly<Record<string, string | undefined>>
) => HttpServerResponse.HttpServerResponse | undefined

/**
 * What an endpoint can tell from memory alone, from its raw path parameters, that it will
 * refuse (e.g. a receiver's webhook this node already knows to be unknown, disabled or
 * another secret's): the service whose key is annotated answers it right after the limits,
 * before the request costs any decoding, query or body read. A screen that cannot tell
 * lets the request through to the handler, which decides.
 */
export class Screen extends Context.Service<Screen, Context.Key<unknown, ScreenFn>>()(
  "tenantry/http/Screen"
) {}
