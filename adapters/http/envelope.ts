import { Cause, Effect } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { unhandled } from "effect/Types"
import { assignRequestId } from "./requestId.ts"

export const malformedRequest = "The request is malformed"

/** Error codes for statuses that can arise outside any endpoint's own error schema. */
const codes: Record<number, { error: string; message: string }> = {
  400: { error: "validation_failed", message: malformedRequest },
  401: { error: "unauthorized", message: "Sign in first" },
  403: { error: "forbidden", message: "Not allowed" },
  404: { error: "not_found", message: "No such resource" },
  405: { error: "method_not_allowed", message: "That method is not allowed here" },
  408: { error: "request_timeout", message: "The request took too long to arrive" },
  409: { error: "conflict", message: "Conflicting change" },
  413: { error: "payload_too_large", message: "The request body is too large" },
  429: { error: "rate_limited", message: "Too many requests" },
  431: { error: "payload_too_large", message: "The request's headers are too large" }
}

const notJson = "Send a JSON body with Content-Type: application/json"

/** The headers every answer carries besides its own, whichever layer writes it. */
export const envelopeHeaders = (requestId: string) => ({
  "x-request-id": requestId,
  "x-content-type-options": "nosniff",
  "cache-control": "no-store"
})

/** The error envelope's body for `status`; `extra` adds fields or a more precise message. */
export const errorBody = (status: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...(codes[status] ?? { error: status >= 500 ? "internal" : "error", message: "Request failed" }),
  ...extra
})

const errorResponse = (status: number, extra: Record<string, unknown> = {}) =>
  HttpServerResponse.jsonUnsafe(errorBody(status, extra), { status })

const isJson = (response: HttpServerResponse.HttpServerResponse) => {
  const body = response.body
  return body._tag === "Uint8Array" && (body.contentType ?? "").includes("json")
}

const hasBody = (method: string) =>
  method === "POST" || method === "PUT" || method === "PATCH" || method === "DELETE"

export interface EnvelopeOptions {
  /** The largest body any route accepts. */
  readonly maxBodyBytes: number
  /** Smaller limits for path prefixes or patterns (e.g. public webhook receivers). */
  readonly bodyLimits?: ReadonlyArray<
    | { readonly pathPrefix: string; readonly maxBytes: number }
    | { readonly pathPattern: RegExp; readonly maxBytes: number }
  >
}

/**
 * Every response, from every route or none: carries X-Request-ID; any error is the JSON
 * envelope of CONTRACT.md (including unknown routes, wrong content types and the
 * framework's empty 4xx); an oversized body is 413 before anything parses it; anything
 * unexpected is logged with the request id and answered `500 internal` with nothing
 * else.
 */
export const envelope = (options: EnvelopeOptions) => {
  const limitFor = (url: string) => {
    if (options.bodyLimits === undefined) return options.maxBodyBytes
    const path = url.split("?")[0]!
    const entry = options.bodyLimits.find((limit) =>
      "pathPrefix" in limit ? path.startsWith(limit.pathPrefix) : limit.pathPattern.test(path)
    )
    return entry?.maxBytes ?? options.maxBodyBytes
  }

  const failed =
    (request: HttpServerRequest.HttpServerRequest, requestId: string) => (cause: Cause.Cause<unknown>) => {
      const failure = Cause.findErrorOption(cause)
      if (failure._tag === "Some") {
        const error = failure.value as { _tag?: string; reason?: { _tag?: string } }
        if (error._tag === "HttpServerError" && error.reason?._tag === "RouteNotFound") {
          const path = request.url.split("?")[0]!
          // Receiver URLs carry secrets: never echo them, and answer as for any bad secret.
          return Effect.succeed(
            errorResponse(404, {
              message: path.startsWith("/api/webhooks/")
                ? "No such webhook"
                : `No route for ${request.method} ${path}`
            })
          )
        }
        if (error._tag === "HttpServerError" && error.reason?._tag === "RequestParseError") {
          return Effect.succeed(errorResponse(400, { errors: { request: [malformedRequest] } }))
        }
      }
      return Effect.logError("request failed", { requestId, method: request.method }, cause).pipe(
        Effect.as(errorResponse(500, { message: "Something went wrong on our side", requestId }))
      )
    }

  const finish = (requestId: string) => (response: HttpServerResponse.HttpServerResponse) => {
    const enveloped =
      response.status === 415
        ? // CONTRACT.md: a body that is not JSON is 400, whatever its content type says.
          errorResponse(400, { message: notJson, errors: { body: [notJson] } })
        : response.status >= 400 && !isJson(response)
          ? errorResponse(response.status)
          : response
    const headers = envelopeHeaders(requestId)
    return HttpServerResponse.setHeaders(enveloped, {
      ...headers,
      "cache-control": enveloped.headers["cache-control"] ?? headers["cache-control"]
    })
  }

  // Runs on every request: kept free of generators and per-request context so it costs
  // a few microseconds (the request id travels by the request object, see requestId.ts).
  const middleware = (app: Effect.Effect<HttpServerResponse.HttpServerResponse, unhandled, never>) =>
    Effect.flatMap(Effect.service(HttpServerRequest.HttpServerRequest), (request) => {
      const requestId = assignRequestId(request)
      let guarded = app
      if (hasBody(request.method)) {
        const limit = limitFor(request.url)
        const declared = request.headers["content-length"]
        if (declared !== undefined && Number(declared) > limit) {
          return Effect.succeed(finish(requestId)(errorResponse(413, { maxBytes: limit })))
        }
        // Read (and cache) the body under the limit before any decoder does, so an
        // oversized chunked body is a 413 here rather than a failure deep inside.
        guarded = Effect.flatMap(Effect.exit(request.arrayBuffer), (read) =>
          read._tag === "Failure" ? Effect.succeed(errorResponse(413, { maxBytes: limit })) : app
        ).pipe(Effect.provideService(HttpIncomingMessage.MaxBodySize, limit as never))
      }
      return guarded.pipe(Effect.catchCause(failed(request, requestId)), Effect.map(finish(requestId)))
      // It handles every failure; the cast only tells the router's typing so.
    }) as Effect.Effect<HttpServerResponse.HttpServerResponse, unhandled, HttpServerRequest.HttpServerRequest>

  return HttpRouter.middleware(middleware, { global: true })
}
