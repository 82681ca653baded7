import { Schema } from "effect"
import { Instant, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"
import { InviteId, type TenantEvent } from "./events.ts"

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

/** The membership part of a live tenant's state. */
export const MembershipFields = {
  members: Schema.Record(UserId, Role),
  /** Email fingerprints of members who joined by invite (the creator's email is never recorded). */
  memberEmails: Schema.Record(UserId, Schema.String),
  /** Every invite ever made, keyed by its id as a string. */
  invites: Schema.Record(Schema.String, Invite),
  nextInviteId: InviteId
}
const Membership = Schema.Struct(MembershipFields)
export type Membership = typeof Membership.Type

export const initialMembership = (ownerId: UserId): Membership => ({
  members: { [ownerId]: "owner" },
  memberEmails: {},
  invites: {},
  nextInviteId: 1
})

type MembershipEvent = Extract<
  TenantEvent,
  {
    _tag:
      | "MemberInvited"
      | "InviteRefreshed"
      | "InviteRevoked"
      | "InviteAccepted"
      | "MemberRoleChanged"
      | "MemberRemoved"
  }
>

const withInvite = <S extends Membership>(
  state: S,
  inviteId: number,
  change: (invite: Invite) => Invite
): S => {
  const invite = state.invites[String(inviteId)]
  return invite === undefined
    ? state
    : { ...state, invites: { ...state.invites, [String(inviteId)]: change(invite) } }
}

const without = <V>(record: Readonly<Record<string, V>>, key: string): Record<string, V> =>
  Object.fromEntries(Object.entries(record).filter(([k]) => k !== key))

/** Total over membership events: one that does not fit the state leaves it as it is. */
export const evolveMembership = <S extends Membership>(state: S, event: MembershipEvent): S => {
  switch (event._tag) {
    case "MemberInvited": {
      const { _tag, at, ...invite } = event
      return {
        ...state,
        invites: {
          ...state.invites,
          [String(event.inviteId)]: { ...invite, status: "pending", createdAt: at, updatedAt: at }
        },
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
      const invite = state.invites[String(event.inviteId)]
      const accepted = withInvite(state, event.inviteId, (found) => ({
        ...found,
        status: "accepted",
        updatedAt: event.at
      }))
      return {
        ...accepted,
        members: { ...state.members, [event.userId]: event.role },
        memberEmails:
          invite === undefined
            ? state.memberEmails
            : { ...state.memberEmails, [event.userId]: invite.emailFingerprint }
      }
    }
    case "MemberRoleChanged":
      return event.userId in state.members
        ? { ...state, members: { ...state.members, [event.userId]: event.role } }
        : state
    case "MemberRemoved":
      return {
        ...state,
        members: without(state.members, event.userId),
        memberEmails: without(state.memberEmails, event.userId)
      }
  }
}
