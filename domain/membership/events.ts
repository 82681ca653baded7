import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Instant, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"

/** Invite ids count up per tenant, from 1. */
export const InviteId = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1)))
export type InviteId = typeof InviteId.Type

/**
 * Changes to a tenant's members, in the stream `members-{tenantId}`. Emails are sealed
 * under the tenant's data key (`sealedEmail`) and compared by a keyed fingerprint, so
 * deleting the tenant shreds them; the invite token is kept only as its SHA-256 hash.
 * The acting user is in each event's metadata.
 */
export const MemberInvited = Schema.TaggedStruct("MemberInvited", {
  inviteId: InviteId,
  sealedEmail: Schema.String,
  emailFingerprint: Schema.String,
  role: Role,
  tokenHash: Schema.String,
  expiresAt: Instant,
  invitedBy: UserId,
  at: Instant
})

/** The same pending invite, sent again: a new token and expiry (and possibly another role). */
export const InviteRefreshed = Schema.TaggedStruct("InviteRefreshed", {
  inviteId: InviteId,
  role: Role,
  tokenHash: Schema.String,
  expiresAt: Instant,
  invitedBy: UserId,
  at: Instant
})

export const InviteRevoked = Schema.TaggedStruct("InviteRevoked", { inviteId: InviteId, at: Instant })

export const InviteAccepted = Schema.TaggedStruct("InviteAccepted", {
  inviteId: InviteId,
  userId: UserId,
  role: Role,
  at: Instant
})

export const MemberRoleChanged = Schema.TaggedStruct("MemberRoleChanged", {
  userId: UserId,
  previousRole: Role,
  role: Role,
  at: Instant
})

export const MemberRemoved = Schema.TaggedStruct("MemberRemoved", { userId: UserId, role: Role, at: Instant })

export const MembershipEvent = Schema.Union([
  MemberInvited,
  InviteRefreshed,
  InviteRevoked,
  InviteAccepted,
  MemberRoleChanged,
  MemberRemoved
])
export type MembershipEvent = typeof MembershipEvent.Type

export const membershipEvents: EventCatalog<MembershipEvent> = {
  schema: MembershipEvent,
  schemaVersions: {
    MemberInvited: 1,
    InviteRefreshed: 1,
    InviteRevoked: 1,
    InviteAccepted: 1,
    MemberRoleChanged: 1,
    MemberRemoved: 1
  },
  upcasters: {},
  sealedFields: {
    MemberInvited: ["sealedEmail", "emailFingerprint", "tokenHash"],
    InviteRefreshed: ["tokenHash"]
  }
}
