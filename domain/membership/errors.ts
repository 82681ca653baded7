import { Schema } from "effect"

/** Why a membership change is not allowed to this actor. */
export const membershipRules = [
  "not_admin",
  "owner_only",
  "above_own_role",
  "self",
  "equal_or_higher",
  "last_owner"
] as const
export type MembershipRule = (typeof membershipRules)[number]

export class MembershipForbidden extends Schema.TaggedError<MembershipForbidden>()("MembershipForbidden", {
  rule: Schema.Literals(membershipRules)
}) {
  readonly code = "membership_forbidden"
}

export class MemberNotFound extends Schema.TaggedError<MemberNotFound>()("MemberNotFound", {
  userId: Schema.String
}) {
  readonly code = "member_not_found"
}

/** No usable invite: looked up `by` the token its invitee holds, or by the id a manager names. */
export class InviteNotFound extends Schema.TaggedError<InviteNotFound>()("InviteNotFound", {
  by: Schema.Literals(["token", "id"])
}) {
  readonly code = "invite_not_found"
}

export class AlreadyMember extends Schema.TaggedError<AlreadyMember>()("AlreadyMember", {}) {
  readonly code = "already_member"
}

/** The invite exists but can no longer be taken up. */
export class InviteUnusable extends Schema.TaggedError<InviteUnusable>()("InviteUnusable", {
  reason: Schema.Literals(["expired", "revoked", "used"])
}) {
  readonly code = "invite_unusable"
}

/** The session's email is not the one the invite was sent to. */
export class InviteEmailMismatch extends Schema.TaggedError<InviteEmailMismatch>()(
  "InviteEmailMismatch",
  {}
) {
  readonly code = "invite_email_mismatch"
}
