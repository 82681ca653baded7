import type { Role } from "../../domain/shared/roles.ts"
import { type DomainEvent, typesOf } from "../events/catalog.ts"

/** Who holds which role in a tenant: what access checks read. */
export interface Membership {
  readonly tenantId: string
  readonly userId: string
  readonly role: Role
}

/** The creator joins with the tenant (its own stream); everyone else through the members stream. */
export const membershipHandles = typesOf(
  "TenantCreated",
  "InviteAccepted",
  "MemberRoleChanged",
  "MemberRemoved",
  "TenantDeleted"
)

/** What one event does to a tenant's memberships: rows to upsert, or all of them gone. */
export type MembershipChange =
  | { readonly _tag: "upsert"; readonly membership: Membership }
  | { readonly _tag: "remove"; readonly tenantId: string; readonly userId: string }
  | { readonly _tag: "clear"; readonly tenantId: string }

export const membershipChanges = (tenantId: string, event: DomainEvent): ReadonlyArray<MembershipChange> => {
  switch (event._tag) {
    case "TenantCreated":
      return [{ _tag: "upsert", membership: { tenantId, userId: event.ownerId, role: "owner" } }]
    case "InviteAccepted":
    case "MemberRoleChanged":
      return [{ _tag: "upsert", membership: { tenantId, userId: event.userId, role: event.role } }]
    case "MemberRemoved":
      return [{ _tag: "remove", tenantId, userId: event.userId }]
    case "TenantDeleted":
      return [{ _tag: "clear", tenantId }]
    default:
      return []
  }
}
