import { Context, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { TenantAccess as Access } from "../../../application/access/tenantAccess.ts"
import type { Session } from "../../../application/ports/Sessions.ts"
import type { Role } from "../../../domain/shared/roles.ts"
import { Forbidden, InsufficientRole, NotFound, Unauthorized } from "./errors.ts"

export class CurrentUser extends Context.Service<CurrentUser, Session>()("tenantry/http/CurrentUser") {}

/** A session JWT as `Authorization: Bearer …`, or the `__session` cookie identity providers set. */
export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentUser }>()(
  "tenantry/http/Authentication",
  {
    security: {
      bearer: HttpApiSecurity.bearer,
      sessionCookie: HttpApiSecurity.apiKey({ in: "cookie", key: "__session" })
    },
    error: Unauthorized,
    requiredForClient: true
  }
) {}

export class CurrentTenant extends Context.Service<CurrentTenant, Access>()("tenantry/http/CurrentTenant") {}

/** The least role an endpoint under `/api/tenants/{slug}` needs, stated on the endpoint itself. */
export class RequiredRole extends Context.Service<RequiredRole, Role>()("tenantry/http/RequiredRole") {}

/** Resolves `{slug}`, checks membership and the endpoint's RequiredRole, provides the tenant. */
export class TenantAccess extends HttpApiMiddleware.Service<
  TenantAccess,
  { provides: CurrentTenant; requires: CurrentUser }
>()("tenantry/http/TenantAccess", { error: [NotFound, Forbidden, InsufficientRole] }) {}

export const SlugParam = Schema.String
