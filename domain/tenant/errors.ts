import { Schema } from "effect"

/** Broken rules, each with a stable code; HTTP statuses are the adapter's business. */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {}) {
  readonly code = "tenant_not_found"
}

export class TenantAlreadyExists extends Schema.TaggedError<TenantAlreadyExists>()(
  "TenantAlreadyExists",
  {}
) {
  readonly code = "tenant_already_exists"
}

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

export class InviteNotFound extends Schema.TaggedError<InviteNotFound>()("InviteNotFound", {}) {
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

export type MembershipError =
  | MembershipForbidden
  | MemberNotFound
  | InviteNotFound
  | AlreadyMember
  | InviteUnusable
  | InviteEmailMismatch

/** No cache-refresh webhook with this id on this tenant (never created, or deleted). */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  webhookId: Schema.String
}) {
  readonly code = "webhook_not_found"
}

/** Everything the tenant decider can refuse with. */
export type TenantError = TenantNotFound | TenantAlreadyExists | MembershipError | WebhookNotFound
