import { Context, Effect, Layer, Redacted } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { HttpApiMiddleware } from "effect/http-api"
import { authorizeTenant } from "../../../application/access/tenantAccess.ts"
import type { Config } from "../../../application/config.ts"
import { formatIssues } from "../../../application/formatIssues.ts"
import { Sessions } from "../../../application/ports/Sessions.ts"
import type { TenantReadModel } from "../../../application/ports/TenantReadModel.ts"
import { slugProblem } from "../../../domain/tenant/slug.ts"
import { RequestValidation } from "../api/Api.ts"
import { Forbidden, InsufficientRole, NotFound, Unauthorized, ValidationFailed } from "../api/errors.ts"
import { Authentication, CurrentTenant, CurrentUser, RequiredRole, TenantAccess } from "../api/security.ts"

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const sessions = yield* Sessions
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
      sessionCookie: (effect, { credential }) => authenticate(effect, credential)
    })
  })
)

export const TenantAccessLive = Layer.effect(
  TenantAccess,
  Effect.gen(function* () {
    const context = yield* Effect.context<TenantReadModel | Config>()
    return TenantAccess.of((effect, { endpoint }) =>
      Effect.gen(function* () {
        const required = Context.getOrUndefined(endpoint.annotations, RequiredRole)
        if (required === undefined)
          return yield* Effect.die(new Error(`${endpoint.name} states no RequiredRole`))
        const user = yield* CurrentUser
        const route = yield* HttpRouter.RouteContext
        const slug = route.params.slug ?? ""
        // A malformed slug names no tenant: answer without asking the database (which
        // would refuse bytes such as NUL with an error, not an empty result).
        if (slugProblem(slug) === "format") return yield* new NotFound({ message: `No tenant "${slug}"` })
        const access = yield* authorizeTenant(user.userId, slug, required).pipe(
          Effect.provideContext(context),
          Effect.catchTags({
            TenantNotFound: () => Effect.fail(new NotFound({ message: `No tenant "${slug}"` })),
            NotAMember: () => Effect.fail(new Forbidden({ message: "You are not a member of this tenant" })),
            InsufficientRole: (error) =>
              Effect.fail(
                new InsufficientRole({
                  message: `This needs the ${error.required} role or higher; you are ${error.actual}`,
                  requiredRole: error.required
                })
              )
          })
        )
        return yield* Effect.provideService(effect, CurrentTenant, access)
      })
    )
  })
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
