import { Effect, Schema } from "effect"
import { hasRole, type Role } from "../../domain/shared/roles.ts"
import { Config } from "../config.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { TenantView } from "../projections/tenantView.ts"

export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {}) {}

/** Signed in, but not a member of this tenant. */
export class NotAMember extends Schema.TaggedError<NotAMember>()("NotAMember", {}) {}

export class InsufficientRole extends Schema.TaggedError<InsufficientRole>()("InsufficientRole", {
  required: Schema.String,
  actual: Schema.String
}) {}

export interface TenantAccess {
  readonly tenant: TenantView
  /** The caller's own role; master admins without one act as owners. */
  readonly role: Role
  readonly viaMasterAdmin: boolean
}

/**
 * The one access rule: the tenant must exist (404), the caller must belong to it or be
 * a master admin (403), and hold at least `required` (403 insufficient role).
 */
export const authorizeTenant = Effect.fn("authorizeTenant")(function* (
  userId: string,
  slug: string,
  required: Role
) {
  const readModel = yield* TenantReadModel
  const config = yield* Config
  const found = yield* readModel.bySlugForUser(slug, userId)
  if (found === undefined) return yield* new TenantNotFound()
  const master = config.masterAdminUserIds.has(userId)
  if (found.role === null && !master) return yield* new NotAMember()
  const role: Role = master ? "owner" : (found.role as Role)
  if (!hasRole(role, required)) return yield* new InsufficientRole({ required, actual: role })
  return {
    tenant: found.view,
    role: found.role ?? role,
    viaMasterAdmin: master && found.role === null
  } satisfies TenantAccess
})
