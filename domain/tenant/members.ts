import { Result } from "effect"
import type { UserId } from "../shared/ids.ts"
import { hasRole, type Role, roleRank } from "../shared/roles.ts"
import type {
  AcceptInvite,
  ChangeMemberRole,
  CommandActor,
  InviteMember,
  RemoveMember,
  RevokeInvite
} from "./commands.ts"
import {
  AlreadyMember,
  InviteEmailMismatch,
  InviteNotFound,
  InviteUnusable,
  MemberNotFound,
  MembershipForbidden,
  type MembershipRule,
  type TenantError
} from "./errors.ts"
import type { TenantEvent } from "./events.ts"
import type { Invite } from "./membership.ts"
import type { ActiveTenant } from "./state.ts"

/**
 * Membership rules (seed: members endpoints):
 * - only admins and owners manage members; master admins act as owners;
 * - nobody grants a role above their own, and only owners grant owner;
 * - nobody changes or removes themselves;
 * - only owners act on a member whose role is equal to or higher than their own;
 * - a tenant always keeps at least one owner, whoever asks.
 */
type Decision = Result.Result<ReadonlyArray<TenantEvent>, TenantError>

const forbidden = (rule: MembershipRule) => Result.fail(new MembershipForbidden({ rule }))

/** The role the actor acts with: master admins act as owners, others with their membership. */
export const actingRole = (tenant: ActiveTenant, actor: CommandActor): Role | undefined =>
  actor.masterAdmin ? "owner" : tenant.members[actor.userId]

const ownerCount = (tenant: ActiveTenant): number =>
  Object.values(tenant.members).filter((role) => role === "owner").length

/** The acting role, when it may manage members at all. */
const manager = (tenant: ActiveTenant, actor: CommandActor): Result.Result<Role, MembershipForbidden> => {
  const role = actingRole(tenant, actor)
  return role !== undefined && hasRole(role, "admin") ? Result.succeed(role) : forbidden("not_admin")
}

/** May `granter` hand out `role`? Never above their own; owner only from an owner. */
const grantProblem = (granter: Role, role: Role): MembershipRule | undefined =>
  role === "owner" && granter !== "owner"
    ? "owner_only"
    : roleRank(role) > roleRank(granter)
      ? "above_own_role"
      : undefined

/** May `actor` (acting as `actorRole`) act on the member `userId`? */
const targetOf = (
  tenant: ActiveTenant,
  actor: CommandActor,
  actorRole: Role,
  userId: UserId
): Result.Result<Role, MembershipForbidden | MemberNotFound> => {
  const target = tenant.members[userId]
  if (target === undefined) return Result.fail(new MemberNotFound({ userId }))
  if (userId === actor.userId) return forbidden("self")
  if (actorRole !== "owner" && roleRank(target) >= roleRank(actorRole)) return forbidden("equal_or_higher")
  return Result.succeed(target)
}

/** Hash comparison in constant time: the time taken says nothing about how much matched. */
export const constantTimeEqual = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ (b.charCodeAt(i) || 0)
  return difference === 0
}

const inviteOf = (tenant: ActiveTenant, inviteId: number): Invite | undefined =>
  tenant.invites[String(inviteId)]

const pendingFor = (tenant: ActiveTenant, fingerprint: string): Invite | undefined =>
  Object.values(tenant.invites).find(
    (invite) => invite.status === "pending" && constantTimeEqual(invite.emailFingerprint, fingerprint)
  )

const isExpired = (invite: Invite, at: string): boolean => Date.parse(at) >= Date.parse(invite.expiresAt)

export const inviteMember = (command: typeof InviteMember.Type, tenant: ActiveTenant): Decision => {
  const actorRole = manager(tenant, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const problem = grantProblem(actorRole.success, command.role)
  if (problem !== undefined) return forbidden(problem)
  if (
    Object.values(tenant.memberEmails).some((email) => constantTimeEqual(email, command.emailFingerprint))
  ) {
    return Result.fail(new AlreadyMember())
  }
  const { tokenHash, expiresAt, role, at } = command
  const invitedBy = command.actor.userId
  const pending = pendingFor(tenant, command.emailFingerprint)
  if (pending !== undefined) {
    return Result.succeed([
      { _tag: "InviteRefreshed", inviteId: pending.inviteId, role, tokenHash, expiresAt, invitedBy, at }
    ])
  }
  return Result.succeed([
    {
      _tag: "MemberInvited",
      inviteId: tenant.nextInviteId,
      sealedEmail: command.sealedEmail,
      emailFingerprint: command.emailFingerprint,
      role,
      tokenHash,
      expiresAt,
      invitedBy,
      at
    }
  ])
}

/** Whoever may grant an invite's role may take it back. */
export const revokeInvite = (command: typeof RevokeInvite.Type, tenant: ActiveTenant): Decision => {
  const actorRole = manager(tenant, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const invite = inviteOf(tenant, command.inviteId)
  if (invite === undefined || invite.status !== "pending") return Result.fail(new InviteNotFound())
  const problem = grantProblem(actorRole.success, invite.role)
  if (problem !== undefined) return forbidden(problem)
  return Result.succeed([{ _tag: "InviteRevoked", inviteId: invite.inviteId, at: command.at }])
}

export const acceptInvite = (command: typeof AcceptInvite.Type, tenant: ActiveTenant): Decision => {
  const invite = inviteOf(tenant, command.inviteId)
  if (invite === undefined || !constantTimeEqual(invite.tokenHash, command.tokenHash)) {
    return Result.fail(new InviteNotFound())
  }
  if (invite.status === "accepted") return Result.fail(new InviteUnusable({ reason: "used" }))
  if (invite.status === "revoked") return Result.fail(new InviteUnusable({ reason: "revoked" }))
  if (isExpired(invite, command.at)) return Result.fail(new InviteUnusable({ reason: "expired" }))
  if (
    command.emailFingerprint !== null &&
    !constantTimeEqual(command.emailFingerprint, invite.emailFingerprint)
  ) {
    return Result.fail(new InviteEmailMismatch())
  }
  if (tenant.members[command.actor.userId] !== undefined) return Result.fail(new AlreadyMember())
  return Result.succeed([
    {
      _tag: "InviteAccepted",
      inviteId: invite.inviteId,
      userId: command.actor.userId,
      role: invite.role,
      at: command.at
    }
  ])
}

export const changeMemberRole = (command: typeof ChangeMemberRole.Type, tenant: ActiveTenant): Decision => {
  const actorRole = manager(tenant, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const target = targetOf(tenant, command.actor, actorRole.success, command.userId)
  if (Result.isFailure(target)) return Result.fail(target.failure)
  const problem = grantProblem(actorRole.success, command.role)
  if (problem !== undefined) return forbidden(problem)
  if (target.success === command.role) return Result.succeed([])
  if (target.success === "owner" && ownerCount(tenant) === 1) return forbidden("last_owner")
  return Result.succeed([
    {
      _tag: "MemberRoleChanged",
      userId: command.userId,
      previousRole: target.success,
      role: command.role,
      at: command.at
    }
  ])
}

export const removeMember = (command: typeof RemoveMember.Type, tenant: ActiveTenant): Decision => {
  const actorRole = manager(tenant, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const target = targetOf(tenant, command.actor, actorRole.success, command.userId)
  if (Result.isFailure(target)) return Result.fail(target.failure)
  if (target.success === "owner" && ownerCount(tenant) === 1) return forbidden("last_owner")
  return Result.succeed([
    { _tag: "MemberRemoved", userId: command.userId, role: target.success, at: command.at }
  ])
}
