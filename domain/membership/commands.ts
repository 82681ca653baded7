import { Schema } from "effect"
import { Instant, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"
import { InviteId } from "./events.ts"

/** Who issues a membership command; master admins act as owners of every tenant. */
export const CommandActor = Schema.Struct({ userId: UserId, masterAdmin: Schema.Boolean })
export type CommandActor = typeof CommandActor.Type

/**
 * What membership needs to know of the tenant, read from the tenant's own stream when the
 * command is made (the append is guarded on that stream's version): whether it is live,
 * and who created it, its first owner, whom the membership stream counts as an owner
 * until it records otherwise.
 */
export const TenantFacts = Schema.Struct({ live: Schema.Boolean, creatorId: UserId })
export type TenantFacts = typeof TenantFacts.Type

/** Invites `email` (sealed, fingerprinted), or refreshes the pending invite for it. */
export const InviteMember = Schema.TaggedStruct("InviteMember", {
  tenant: TenantFacts,
  actor: CommandActor,
  sealedEmail: Schema.String,
  emailFingerprint: Schema.String,
  role: Role,
  tokenHash: Schema.String,
  expiresAt: Instant,
  at: Instant
})

export const RevokeInvite = Schema.TaggedStruct("RevokeInvite", {
  tenant: TenantFacts,
  actor: CommandActor,
  inviteId: InviteId,
  at: Instant
})

/** The actor takes up an invite; `emailFingerprint` is their session's email, when it has one. */
export const AcceptInvite = Schema.TaggedStruct("AcceptInvite", {
  tenant: TenantFacts,
  actor: CommandActor,
  inviteId: InviteId,
  tokenHash: Schema.String,
  emailFingerprint: Schema.NullOr(Schema.String),
  at: Instant
})

export const ChangeMemberRole = Schema.TaggedStruct("ChangeMemberRole", {
  tenant: TenantFacts,
  actor: CommandActor,
  userId: UserId,
  role: Role,
  at: Instant
})

export const RemoveMember = Schema.TaggedStruct("RemoveMember", {
  tenant: TenantFacts,
  actor: CommandActor,
  userId: UserId,
  at: Instant
})

export const MembershipCommand = Schema.Union([
  InviteMember,
  RevokeInvite,
  AcceptInvite,
  ChangeMemberRole,
  RemoveMember
])
export type MembershipCommand = typeof MembershipCommand.Type
