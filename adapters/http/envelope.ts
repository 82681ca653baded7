import { Cause, Context, Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
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
export const envelopeHeaders = (requestId: string) => ({ "x-request-id": requestId, ...staticHeaders })

/** The part of them that is the same for every answer (a handler's own `cache-control` wins). */
const staticHeaders = { "x-content-type-options": "nosniff", "cache-control": "no-store" }
const noSniff = { "x-content-type-options": "nosniff" }

/** The error envelope's body for `status`; `extra` adds fields or a more precise message. */
export const errorBody = (status: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...(codes[status] ?? { error: status >= 500 ? "internal" : "error", message: "Request failed" }),
  ...extra
})

/** An answer in the error envelope, for middleware that answers before any handler. */
export const errorResponse = (
  status: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {}
) =>
  HttpServerResponse.jsonUnsafe(errorBody(status, extra), {
    status,
    headers: { ...staticHeaders, ...headers }
  })

const isJson = (response: HttpServerResponse.HttpServerResponse) => {
  const body = response.body
  return body._tag === "Uint8Array" && (body.contentType ?? "").includes("json")
}

export interface EnvelopeOptions {
  /** The methods a path serves (see allowedMethods.ts): a known path with another method is 405. */
  readonly allowedMethods: (url: string) => ReadonlyArray<string>
}

interface RequestParseFailure {
  readonly _tag: "HttpServerError"
  readonly reason: {
    readonly _tag: "RequestParseError"
    readonly reason: string
    readonly cause?: { readonly maxBytes?: number }
  }
}

const isRequestParseError = (error: unknown): error is RequestParseFailure => {
  const candidate = error as { _tag?: string; reason?: { _tag?: string } } | null
  return candidate?._tag === "HttpServerError" && candidate.reason?._tag === "RequestParseError"
}

/**
 * A body that could not be read: over the limit in effect (413, whichever reader met it:
 * a handler, or http-api's payload decoder, which makes it a defect), or cut short or
 * unparsable (400).
 */
const unreadableBody = (cause: Cause.Cause<unknown>): RequestParseFailure | undefined => {
  for (const reason of cause.reasons) {
    const error = Cause.isFailReason(reason)
      ? reason.error
      : Cause.isDieReason(reason)
        ? reason.defect
        : undefined
    if (isRequestParseError(error)) return error
  }
  return undefined
}

/**
 * Every response, from every route or none: carries X-Request-ID; any error is the JSON
 * envelope of CONTRACT.md (including unknown routes, known paths with another method,
 * wrong content types and the framework's empty 4xx); a body over the limit in effect
 * (see `BodyLimit`) is 413; anything unexpected is logged with the request id and
 * answered `500 internal` with nothing else.
 */
export const envelope = (options: EnvelopeOptions) => {
  const failed =
    (request: HttpServerRequest.HttpServerRequest, requestId: string) => (cause: Cause.Cause<unknown>) => {
      // The client went away (or the server is stopping): nobody to answer, nothing wrong.
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const failure = Cause.findErrorOption(cause)
      if (failure._tag === "Some") {
        const error = failure.value as { _tag?: string; reason?: { _tag?: string } }
        if (error._tag === "HttpServerError" && error.reason?._tag === "RouteNotFound") {
          return Effect.succeed(notFound(request))
        }
      }
      const unreadable = unreadableBody(cause)
      if (unreadable !== undefined) {
        return Effect.succeed(
          unreadable.reason.reason === "BodyTooLarge"
            ? errorResponse(413, { maxBytes: unreadable.reason.cause?.maxBytes })
            : errorResponse(400, { errors: { request: [malformedRequest] } })
        )
      }
      return Effect.logError("request failed", { requestId, method: request.method }, cause).pipe(
        Effect.as(errorResponse(500, { message: "Something went wrong on our side", requestId }))
      )
    }

  const notFound = (request: HttpServerRequest.HttpServerRequest) => {
    const path = request.url.split("?")[0]!
    // Receiver URLs carry secrets: never echo them.
    const receiver = path.startsWith("/api/webhooks/")
    const allowed = options.allowedMethods(request.url)
    if (allowed.length > 0) {
      return errorResponse(
        405,
        {
          message: receiver
            ? `${request.method} is not allowed here; use ${allowed.join(", ")}`
            : `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}`
        },
        { allow: allowed.join(", ") }
      )
    }
    // An unknown receiver URL answers as any bad secret does.
    return errorResponse(404, {
      message: receiver ? "No such webhook" : `No route for ${request.method} ${path}`
    })
  }

  const finish = (requestId: string) => (response: HttpServerResponse.HttpServerResponse) => {
    const enveloped =
      response.status === 415
        ? // CONTRACT.md: a body that is not JSON is 400, whatever its content type says.
          errorResponse(400, { message: notJson, errors: { body: [notJson] } })
        : response.status >= 400 && !isJson(response)
          ? errorResponse(response.status)
          : response
    // Answers built here (errorResponse) carry the static headers already: one header to add.
    const complete =
      enveloped.headers["x-content-type-options"] !== undefined
        ? enveloped
        : HttpServerResponse.setHeaders(
            enveloped,
            enveloped.headers["cache-control"] === undefined ? staticHeaders : noSniff
          )
    return HttpServerResponse.setHeader(complete, "x-request-id", requestId)
  }

  // Runs on every request: kept free of generators and per-request context so it costs
  // a few microseconds (the request id travels by the request object, see requestId.ts).
  const middleware = (app: Effect.Effect<HttpServerResponse.HttpServerResponse, unhandled, never>) =>
    Effect.withFiber((fiber) => {
      const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
      const requestId = assignRequestId(request)
      return app.pipe(Effect.catchCause(failed(request, requestId)), Effect.map(finish(requestId)))
      // It handles every failure; the cast only tells the router's typing so.
    }) as Effect.Effect<HttpServerResponse.HttpServerResponse, unhandled, HttpServerRequest.HttpServerRequest>

  return HttpRouter.middleware(middleware, { global: true })
}
