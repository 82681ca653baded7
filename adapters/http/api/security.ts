import { Context, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { Session } from "../../../application/ports/Sessions.ts"
import { Forbidden, NotFound, Unauthorized } from "./errors.ts"

export class CurrentUser extends Context.Service<CurrentUser, Session>()("tenantry/http/CurrentUser") {}

/**
 * A session JWT as `Authorization: Bearer …`, or the `__session` cookie identity providers
 * set; a change made with the cookie must come from an allowed origin (403 otherwise).
 * Authentication only: who may do what is each use case's policy (application/auth).
 */
export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentUser }>()(
  "tenantry/http/Authentication",
  {
    security: {
      bearer: HttpApiSecurity.bearer,
      sessionCookie: HttpApiSecurity.apiKey({ in: "cookie", key: "__session" })
    },
    error: [Unauthorized, Forbidden],
    requiredForClient: true
  }
) {}

export const SlugParam = Schema.String

/**
 * Under `/api/tenants/{slug}`: a tenant that does not exist, or of which the caller is not
 * a member, is answered 404/403 before the request is decoded, so nobody learns from
 * validation errors what a tenant they cannot see would accept. Each use case still checks
 * its own policy (the role it needs); this only orders the answers.
 */
export class TenantScope extends HttpApiMiddleware.Service<TenantScope, { requires: CurrentUser }>()(
  "tenantry/http/TenantScope",
  { error: [NotFound, Forbidden] }
) {}
