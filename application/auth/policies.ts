import { Effect, Schema } from "effect"
import type { UserId } from "../../domain/shared/ids.ts"
import { hasRole, type Role } from "../../domain/shared/roles.ts"
import { slugProblem, TenantNotFound } from "../../domain/tenant/index.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { TenantView } from "../projections/tenantView.ts"
import type { Principal, UserPrincipal } from "./principal.ts"

/** Signed in, but not a member of this tenant. */
export class NotAMember extends Schema.TaggedError<NotAMember>()("NotAMember", {}) {
  readonly code = "not_a_member"
}

/** A member whose role is below what the use case needs. */
export class RoleTooLow extends Schema.TaggedError<RoleTooLow>()("RoleTooLow", {
  required: Schema.String,
  actual: Schema.String
}) {
  readonly code = "insufficient_role"
}

/** A kind of principal this use case does not serve (a webhook asking to delete a tenant). */
export class PrincipalNotAllowed extends Schema.TaggedError<PrincipalNotAllowed>()("PrincipalNotAllowed", {
  principal: Schema.String
}) {
  readonly code = "principal_not_allowed"
}

export type AccessDenied = TenantNotFound | NotAMember | RoleTooLow | PrincipalNotAllowed

/** What a tenant policy grants: the tenant, and the role the caller acts with. */
export interface TenantAccess {
  readonly tenant: TenantView
  /** The caller's own role; master admins who are not members act as owners. */
  readonly role: Role
  readonly viaMasterAdmin: boolean
  readonly principal: Principal
}

/**
 * A use case's rule for who may run it. Each use case states exactly one, and checks it
 * before it does anything else (see `tenantUseCase`/`userUseCase`).
 * - `signedIn`: any signed-in user.
 * - `tenantRole`: a member of the tenant named by slug with at least `role`; master
 *   admins pass; `system` principals too when `allowSystem` says so.
 */
export type Policy = { readonly _tag: "signedIn" } | TenantRolePolicy

export interface TenantRolePolicy {
  readonly _tag: "tenantRole"
  readonly role: Role
  readonly allowSystem: boolean
}

export const signedIn: Policy = { _tag: "signedIn" }
export const tenantRole = (
  role: Role,
  options: { readonly allowSystem?: boolean } = {}
): TenantRolePolicy => ({
  _tag: "tenantRole",
  role,
  allowSystem: options.allowSystem ?? false
})

/** `signedIn`: the principal must be a user. */
export const authorizeUser = (principal: Principal): Effect.Effect<UserPrincipal, PrincipalNotAllowed> =>
  principal._tag === "User"
    ? Effect.succeed(principal)
    : Effect.fail(new PrincipalNotAllowed({ principal: principal._tag }))

/**
 * `tenantRole`: the tenant must exist (a malformed slug names none), the caller must
 * belong to it or be a master admin, and hold at least the role.
 */
export const authorizeTenant = Effect.fn("authorizeTenant")(function* (
  principal: Principal,
  slug: string,
  policy: TenantRolePolicy
) {
  const readModel = yield* TenantReadModel
  // Answer without asking the database, which would refuse bytes such as NUL with an error.
  if (slugProblem(slug) === "format") return yield* new TenantNotFound()
  if (principal._tag === "System" && policy.allowSystem) {
    const tenant = yield* readModel.bySlug(slug)
    if (tenant === undefined) return yield* new TenantNotFound()
    return { tenant, role: "owner", viaMasterAdmin: false, principal } satisfies TenantAccess as TenantAccess
  }
  if (principal._tag !== "User") return yield* new PrincipalNotAllowed({ principal: principal._tag })
  const found = yield* readModel.bySlugForUser(slug, principal.userId as UserId)
  if (found === undefined) return yield* new TenantNotFound()
  if (found.role === null && !principal.masterAdmin) return yield* new NotAMember()
  const acting: Role = principal.masterAdmin ? "owner" : (found.role as Role)
  if (!hasRole(acting, policy.role)) return yield* new RoleTooLow({ required: policy.role, actual: acting })
  return {
    tenant: found.view,
    role: found.role ?? acting,
    viaMasterAdmin: principal.masterAdmin && found.role === null,
    principal
  } satisfies TenantAccess as TenantAccess
})
