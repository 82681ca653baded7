import { Schema } from "effect"
import { HttpApiMiddleware, HttpApiSchema } from "effect/http-api"

/**
 * The error envelope of CONTRACT.md: `{ error: "<code>", message, …details }`, one class
 * per wire code, each with its HTTP status: the one place a status is decided. Their tags
 * (off the wire; the typed client's errors carry them) are shared by no application or
 * domain error. What becomes which is `adapters/http/errorMap.ts`.
 */
const envelope = <Code extends string>(code: Code) => ({
  error: Schema.tag(code),
  message: Schema.String
})

export class Unauthorized extends Schema.Error<Unauthorized>("Unauthorized")(
  { _tag: Schema.tagDefaultOmit("Unauthorized"), ...envelope("unauthorized") },
  { httpApiStatus: 401, description: "No valid session" }
) {}

export class Forbidden extends Schema.Error<Forbidden>("Forbidden")(
  { _tag: Schema.tagDefaultOmit("Forbidden"), ...envelope("forbidden") },
  { httpApiStatus: 403, description: "Not allowed: not a member, or a rule forbids it" }
) {}

export class InsufficientRole extends Schema.Error<InsufficientRole>("InsufficientRole")(
  {
    _tag: Schema.tagDefaultOmit("InsufficientRole"),
    ...envelope("insufficient_role"),
    requiredRole: Schema.String
  },
  { httpApiStatus: 403, description: "The caller's role is below what this action needs" }
) {}

export class PlanLimit extends Schema.Error<PlanLimit>("PlanLimit")(
  {
    _tag: Schema.tagDefaultOmit("PlanLimit"),
    ...envelope("plan_limit"),
    plan: Schema.String,
    maxTenants: Schema.optionalKey(Schema.Number),
    maxDomains: Schema.optionalKey(Schema.Number)
  },
  {
    httpApiStatus: 403,
    description: "The plan's limit is reached (tenants per owner, or custom domains per tenant)"
  }
) {}

export class NotFound extends Schema.Error<NotFound>("NotFound")(
  { _tag: Schema.tagDefaultOmit("NotFound"), ...envelope("not_found") },
  { httpApiStatus: 404, description: "No such resource" }
) {}

export class Conflict extends Schema.Error<Conflict>("Conflict")(
  { _tag: Schema.tagDefaultOmit("Conflict"), ...envelope("conflict") },
  { httpApiStatus: 409, description: "Concurrent changes kept colliding; retry" }
) {}

export class SlugTaken extends Schema.Error<SlugTaken>("SlugTaken")(
  { _tag: Schema.tagDefaultOmit("SlugTaken"), ...envelope("slug_taken"), slug: Schema.String },
  { httpApiStatus: 409, description: "Another live tenant has this slug" }
) {}

export class ValidationFailed extends Schema.Error<ValidationFailed>("ValidationFailed")(
  {
    _tag: Schema.tagDefaultOmit("ValidationFailed"),
    ...envelope("validation_failed"),
    errors: Schema.Record(Schema.String, Schema.Array(Schema.String))
  },
  { httpApiStatus: 400, description: "The request is malformed; `errors` maps each field to its problems" }
) {}

export class AlreadyExists extends Schema.Error<AlreadyExists>("AlreadyExists")(
  { _tag: Schema.tagDefaultOmit("AlreadyExists"), ...envelope("already_exists") },
  { httpApiStatus: 409, description: "It exists already (e.g. the person is already a member)" }
) {}

export class Gone extends Schema.Error<Gone>("Gone")(
  {
    _tag: Schema.tagDefaultOmit("Gone"),
    ...envelope("gone"),
    reason: Schema.Literals(["expired", "revoked", "used"])
  },
  { httpApiStatus: 410, description: "The invite can no longer be used: it expired, was revoked or was used" }
) {}

export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")(
  { _tag: Schema.tagDefaultOmit("PayloadTooLarge"), ...envelope("payload_too_large"), maxBytes: Schema.Int },
  { httpApiStatus: 413, description: "The body is over the limit" }
) {}

export class RateLimited extends Schema.Error<RateLimited>("RateLimited")(
  { _tag: Schema.tagDefaultOmit("RateLimited"), ...envelope("rate_limited") },
  { httpApiStatus: 429, description: "Too many requests; see Retry-After" }
) {}

/** A use case's rate limit (the outbound checks'): 429 with `Retry-After`, also in the body. */
export class TooManyRequests extends Schema.Error<TooManyRequests>("TooManyRequests")(
  {
    _tag: Schema.tagDefaultOmit("TooManyRequests"),
    ...envelope("rate_limited"),
    retryAfter: Schema.Int
  },
  {
    httpApiStatus: 429,
    description: "Too many requests lately; retry after `retryAfter` seconds (also `Retry-After`)"
  }
) {}

/** `TooManyRequests` on the wire: its body, and `Retry-After` from its `retryAfter`. */
export const TooManyRequestsWithRetryAfter = TooManyRequests.pipe(
  HttpApiSchema.encodeToWithHeaders(
    { body: TooManyRequests, headers: { "retry-after": Schema.String } },
    {
      decode: ({ body }) => body,
      encode: (error) => ({ body: error, headers: { "retry-after": String(error.retryAfter) } })
    }
  )
)

export class Internal extends Schema.Error<Internal>("Internal")(
  { _tag: Schema.tagDefaultOmit("Internal"), ...envelope("internal"), requestId: Schema.String },
  { httpApiStatus: 500, description: "Something went wrong on our side (nothing internal is shown)" }
) {}

/** What any use case's refusal can become (see errorMap.ts): every endpoint may answer these. */
export const useCaseErrors = [
  NotFound,
  Forbidden,
  InsufficientRole,
  Conflict,
  ValidationFailed,
  AlreadyExists,
  Gone,
  PlanLimit,
  SlugTaken,
  RateLimited,
  TooManyRequestsWithRetryAfter
] as const

/**
 * Declares `useCaseErrors` for every endpoint of the API (a middleware is how http-api
 * lets one declaration cover them all); it does nothing at run time.
 */
export class UseCaseErrors extends HttpApiMiddleware.Service<UseCaseErrors>()("tenantry/http/UseCaseErrors", {
  error: useCaseErrors
}) {}
