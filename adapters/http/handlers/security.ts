import { Effect, Layer, Redacted } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { HttpApiMiddleware } from "effect/http-api"
import { authorizeTenant, tenantRole } from "../../../application/auth/policies.ts"
import { principalOfSession } from "../../../application/auth/principal.ts"
import type { Config } from "../../../application/config.ts"
import { formatIssues } from "../../../application/formatIssues.ts"
import { Sessions } from "../../../application/ports/Sessions.ts"
import type { TenantReadModel } from "../../../application/ports/TenantReadModel.ts"
import { RequestValidation } from "../api/Api.ts"
import { Forbidden, type NotFound, Unauthorized, UseCaseErrors, ValidationFailed } from "../api/errors.ts"
import { Authentication, CurrentUser, TenantScope } from "../api/security.ts"
import { toResponse } from "../errorMap.ts"
import { HttpSettings } from "../httpSettings.ts"
import { cookieOriginRefusal } from "./cookieOrigin.ts"

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const sessions = yield* Sessions
    const allowedOrigins = new Set((yield* HttpSettings).allowedOrigins)
    const cookieOrigin = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const refusal = cookieOriginRefusal(request, allowedOrigins)
      return refusal === undefined ? Effect.void : Effect.fail(new Forbidden({ message: refusal }))
    })
    const verify = (token: string) =>
      token === ""
        ? Effect.fail(
            new Unauthorized({
              message: "Sign in: send a session token as a Bearer token or __session cookie"
            })
          )
        : sessions
            .verify(token)
            .pipe(
              Effect.mapError(() => new Unauthorized({ message: "The session token is invalid or expired" }))
            )
    const authenticate = <A, E, R>(effect: Effect.Effect<A, E, R>, credential: Redacted.Redacted<string>) =>
      Effect.flatMap(verify(Redacted.value(credential)), (session) =>
        Effect.provideService(effect, CurrentUser, session)
      )
    return Authentication.of({
      bearer: (effect, { credential }) => authenticate(effect, credential),
      // A valid cookie first (401), then where the request comes from (403).
      sessionCookie: (effect, { credential }) =>
        authenticate(Effect.andThen(cookieOrigin, effect), credential)
    })
  })
)

/** `UseCaseErrors` only declares what endpoints may answer: it passes every request through. */
export const UseCaseErrorsLive = Layer.succeed(
  UseCaseErrors,
  UseCaseErrors.of((effect) => effect)
)

/** What the failing part of the request was decoded from, as http-api handed it to the schema. */
const decodedInput = (kind: "Params" | "Headers" | "Query" | "Payload") =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    switch (kind) {
      case "Params":
        return (yield* HttpRouter.RouteContext).params
      case "Headers":
        return request.headers
      case "Query":
        return yield* HttpServerRequest.ParsedSearchParams
      case "Payload": {
        // JSON is the only payload this API declares; the envelope has read and cached the body.
        const text = yield* Effect.orDie(request.text)
        if (text === "") return undefined
        try {
          return JSON.parse(text) as unknown
        } catch {
          return text
        }
      }
    }
  })

export const RequestValidationLive = HttpApiMiddleware.layerSchemaErrorTransform(
  RequestValidation,
  (error) =>
    error.kind === "Body" || error.kind === "ResponseHeaders"
      ? Effect.die(error)
      : Effect.flatMap(decodedInput(error.kind), (input) =>
          Effect.fail(
            new ValidationFailed({
              message:
                error.kind === "Payload"
                  ? "The request body is invalid"
                  : error.kind === "Query"
                    ? "The query string is invalid"
                    : "The request is invalid",
              errors: formatIssues(error.cause, input)
            })
          )
        )
)

export const TenantScopeLive = Layer.effect(
  TenantScope,
  Effect.gen(function* () {
    const context = yield* Effect.context<TenantReadModel | Config>()
    const member = tenantRole("viewer")
    return TenantScope.of((effect) =>
      Effect.gen(function* () {
        const principal = yield* principalOfSession(yield* CurrentUser).pipe(Effect.provideContext(context))
        const route = yield* HttpRouter.RouteContext
        yield* authorizeTenant(principal, route.params.slug ?? "", member).pipe(
          // Only "no such tenant" and "not a member" can come of the viewer policy.
          Effect.catch((refusal) => toResponse(refusal) as Effect.Effect<never, NotFound | Forbidden>),
          Effect.provideContext(context)
        )
        return yield* effect
      })
    )
  })
)
