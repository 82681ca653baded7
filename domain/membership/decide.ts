import { Result } from "effect"
import { constantTimeEqual } from "../shared/constantTime.ts"
import { absurd } from "../shared/decider.ts"
import type { UserId } from "../shared/ids.ts"
import { hasRole, type Role, roleRank } from "../shared/roles.ts"
import { TenantNotFound } from "../tenant/errors.ts"
import type {
  AcceptInvite,
  ChangeMemberRole,
  CommandActor,
  InviteMember,
  MembershipCommand,
  RemoveMember,
  RevokeInvite,
  TenantFacts
} from "./commands.ts"
import {
  AlreadyMember,
  InviteEmailMismatch,
  InviteNotFound,
  InviteUnusable,
  MemberNotFound,
  MembershipForbidden,
  type MembershipRule
} from "./errors.ts"
import type { MembershipEvent } from "./events.ts"
import { type Invite, type MembershipState, roster } from "./state.ts"

/**
 * Membership rules (seed: members endpoints):
 * - only admins and owners manage members; master admins act as owners;
 * - nobody grants a role above their own, and only owners grant owner;
 * - nobody changes or removes themselves;
 * - only owners act on a member whose role is equal to or higher than their own;
 * - a tenant always keeps at least one owner, whoever asks.
 */
export type MembershipError =
  | TenantNotFound
  | MembershipForbidden
  | MemberNotFound
  | InviteNotFound
  | AlreadyMember
  | InviteUnusable
  | InviteEmailMismatch

type Decision = Result.Result<ReadonlyArray<MembershipEvent>, MembershipError>

/** The state as a command sees it: who is a member now, besides what the stream recorded. */
interface View {
  readonly state: MembershipState
  readonly members: ReadonlyMap<UserId, Role>
}

const forbidden = (rule: MembershipRule) => Result.fail(new MembershipForbidden({ rule }))

const viewOf = (state: MembershipState, tenant: TenantFacts): Result.Result<View, TenantNotFound> =>
  tenant.live
    ? Result.succeed({ state, members: roster(state, tenant.creatorId) })
    : Result.fail(new TenantNotFound())

/** The role the actor acts with: master admins act as owners, others with their membership. */
export const actingRole = (members: ReadonlyMap<UserId, Role>, actor: CommandActor): Role | undefined =>
  actor.masterAdmin ? "owner" : members.get(actor.userId)

const ownerCount = (view: View): number =>
  [...view.members.values()].filter((role) => role === "owner").length

/** The acting role, when it may manage members at all. */
const manager = (view: View, actor: CommandActor): Result.Result<Role, MembershipForbidden> => {
  const role = actingRole(view.members, actor)
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
  view: View,
  actor: CommandActor,
  actorRole: Role,
  userId: UserId
): Result.Result<Role, MembershipForbidden | MemberNotFound> => {
  const target = view.members.get(userId)
  if (target === undefined) return Result.fail(new MemberNotFound({ userId }))
  if (userId === actor.userId) return forbidden("self")
  if (actorRole !== "owner" && roleRank(target) >= roleRank(actorRole)) return forbidden("equal_or_higher")
  return Result.succeed(target)
}

const pendingFor = (state: MembershipState, fingerprint: string): Invite | undefined =>
  [...state.invites.values()].find(
    (invite) => invite.status === "pending" && constantTimeEqual(invite.emailFingerprint, fingerprint)
  )

const isExpired = (invite: Invite, at: string): boolean => Date.parse(at) >= Date.parse(invite.expiresAt)

const inviteMember = (command: typeof InviteMember.Type, view: View): Decision => {
  const actorRole = manager(view, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const problem = grantProblem(actorRole.success, command.role)
  if (problem !== undefined) return forbidden(problem)
  const { state } = view
  const isMember = [...state.memberEmails].some(
    ([userId, email]) => view.members.has(userId) && constantTimeEqual(email, command.emailFingerprint)
  )
  if (isMember) return Result.fail(new AlreadyMember())
  const { tokenHash, expiresAt, role, at } = command
  const invitedBy = command.actor.userId
  const pending = pendingFor(state, command.emailFingerprint)
  if (pending !== undefined) {
    return Result.succeed([
      { _tag: "InviteRefreshed", inviteId: pending.inviteId, role, tokenHash, expiresAt, invitedBy, at }
    ])
  }
  return Result.succeed([
    {
      _tag: "MemberInvited",
      inviteId: state.nextInviteId,
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
const revokeInvite = (command: typeof RevokeInvite.Type, view: View): Decision => {
  const actorRole = manager(view, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const invite = view.state.invites.get(command.inviteId)
  if (invite === undefined || invite.status !== "pending") {
    return Result.fail(new InviteNotFound({ by: "id" }))
  }
  const problem = grantProblem(actorRole.success, invite.role)
  if (problem !== undefined) return forbidden(problem)
  return Result.succeed([{ _tag: "InviteRevoked", inviteId: invite.inviteId, at: command.at }])
}

const acceptInvite = (command: typeof AcceptInvite.Type, view: View): Decision => {
  const invite = view.state.invites.get(command.inviteId)
  if (invite === undefined || !constantTimeEqual(invite.tokenHash, command.tokenHash)) {
    return Result.fail(new InviteNotFound({ by: "token" }))
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
  if (view.members.has(command.actor.userId)) return Result.fail(new AlreadyMember())
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

const changeMemberRole = (command: typeof ChangeMemberRole.Type, view: View): Decision => {
  const actorRole = manager(view, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const target = targetOf(view, command.actor, actorRole.success, command.userId)
  if (Result.isFailure(target)) return Result.fail(target.failure)
  const problem = grantProblem(actorRole.success, command.role)
  if (problem !== undefined) return forbidden(problem)
  if (target.success === command.role) return Result.succeed([])
  if (target.success === "owner" && ownerCount(view) === 1) return forbidden("last_owner")
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

const removeMember = (command: typeof RemoveMember.Type, view: View): Decision => {
  const actorRole = manager(view, command.actor)
  if (Result.isFailure(actorRole)) return Result.fail(actorRole.failure)
  const target = targetOf(view, command.actor, actorRole.success, command.userId)
  if (Result.isFailure(target)) return Result.fail(target.failure)
  if (target.success === "owner" && ownerCount(view) === 1) return forbidden("last_owner")
  return Result.succeed([
    { _tag: "MemberRemoved", userId: command.userId, role: target.success, at: command.at }
  ])
}

export const decide = (command: MembershipCommand, state: MembershipState): Decision =>
  Result.flatMap(viewOf(state, command.tenant), (view): Decision => {
    switch (command._tag) {
      case "InviteMember":
        return inviteMember(command, view)
      case "RevokeInvite":
        return revokeInvite(command, view)
      case "AcceptInvite":
        return acceptInvite(command, view)
      case "ChangeMemberRole":
        return changeMemberRole(command, view)
      case "RemoveMember":
        return removeMember(command, view)
      default:
        return absurd(command)
    }
  })
