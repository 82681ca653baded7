import { Schema } from "effect"
import { Instant, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"
import { InviteId, type MembershipEvent } from "./events.ts"

/** An invite as the decider needs it; accepted and revoked ones stay, so a reused token gets a clear answer. */
export const Invite = Schema.Struct({
  inviteId: InviteId,
  sealedEmail: Schema.String,
  emailFingerprint: Schema.String,
  role: Role,
  tokenHash: Schema.String,
  expiresAt: Instant,
  invitedBy: UserId,
  status: Schema.Literals(["pending", "accepted", "revoked"]),
  createdAt: Instant,
  updatedAt: Instant
})
export type Invite = typeof Invite.Type

/**
 * What the stream has recorded. Keyed by Maps, never plain objects: user ids come from
 * requests, and `__proto__` or `constructor` must be nobody rather than a prototype.
 */
export const MembershipState = Schema.Struct({
  /** Roles recorded since the tenant was created; null: removed. The creator is not here until changed. */
  roles: Schema.ReadonlyMap(UserId, Schema.NullOr(Role)),
  /** Email fingerprints of members who joined by invite (the creator's email is never recorded). */
  memberEmails: Schema.ReadonlyMap(UserId, Schema.String),
  /** Every invite ever made, by id. */
  invites: Schema.ReadonlyMap(InviteId, Invite),
  nextInviteId: InviteId
})
export type MembershipState = typeof MembershipState.Type

/** Bumped whenever MembershipState's shape changes, so older snapshots are ignored, not misread. */
export const membershipStateVersion = 1

export const initialState: MembershipState = {
  roles: new Map(),
  memberEmails: new Map(),
  invites: new Map(),
  nextInviteId: 1
}

/** Who holds which role now: the creator as owner, unless the stream has changed or removed them since. */
export const roster = (state: MembershipState, creatorId: UserId): ReadonlyMap<UserId, Role> => {
  const members = new Map<UserId, Role>()
  if (!state.roles.has(creatorId)) members.set(creatorId, "owner")
  for (const [userId, role] of state.roles) if (role !== null) members.set(userId, role)
  return members
}

const withInvite = (
  state: MembershipState,
  inviteId: number,
  change: (invite: Invite) => Invite
): MembershipState => {
  const invite = state.invites.get(inviteId)
  return invite === undefined
    ? state
    : { ...state, invites: new Map(state.invites).set(inviteId, change(invite)) }
}

/** Total: an event that does not fit the state leaves it as it is. */
export const evolve = (state: MembershipState, event: MembershipEvent): MembershipState => {
  switch (event._tag) {
    case "MemberInvited": {
      const { _tag, at, ...invite } = event
      return {
        ...state,
        invites: new Map(state.invites).set(event.inviteId, {
          ...invite,
          status: "pending",
          createdAt: at,
          updatedAt: at
        }),
        nextInviteId: Math.max(state.nextInviteId, event.inviteId + 1)
      }
    }
    case "InviteRefreshed":
      return withInvite(state, event.inviteId, (invite) => ({
        ...invite,
        role: event.role,
        tokenHash: event.tokenHash,
        expiresAt: event.expiresAt,
        invitedBy: event.invitedBy,
        status: "pending",
        updatedAt: event.at
      }))
    case "InviteRevoked":
      return withInvite(state, event.inviteId, (invite) => ({
        ...invite,
        status: "revoked",
        updatedAt: event.at
      }))
    case "InviteAccepted": {
      const invite = state.invites.get(event.inviteId)
      const accepted = withInvite(state, event.inviteId, (found) => ({
        ...found,
        status: "accepted",
        updatedAt: event.at
      }))
      return {
        ...accepted,
        roles: new Map(state.roles).set(event.userId, event.role),
        memberEmails:
          invite === undefined
            ? state.memberEmails
            : new Map(state.memberEmails).set(event.userId, invite.emailFingerprint)
      }
    }
    case "MemberRoleChanged":
      return { ...state, roles: new Map(state.roles).set(event.userId, event.role) }
    case "MemberRemoved": {
      const memberEmails = new Map(state.memberEmails)
      memberEmails.delete(event.userId)
      return { ...state, roles: new Map(state.roles).set(event.userId, null), memberEmails }
    }
  }
}
