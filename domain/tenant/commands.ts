import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { CacheTarget, CacheTTL, InviteId, TenantConfigChanges, WebhookId, WebhookProvider } from "./events.ts"
import { Slug } from "./slug.ts"

/** Imperatives against one tenant. `at` is the decision's instant, supplied by the caller. */
export const CreateTenant = Schema.TaggedStruct("CreateTenant", {
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  ownerId: UserId,
  at: Instant
})

export const UpdateTenantConfig = Schema.TaggedStruct("UpdateTenantConfig", {
  changes: TenantConfigChanges,
  at: Instant
})

export const BumpCacheVersions = Schema.TaggedStruct("BumpCacheVersions", {
  target: CacheTarget,
  at: Instant
})

export const SaveApiConfig = Schema.TaggedStruct("SaveApiConfig", { apiConfig: ApiConfig, at: Instant })

export const SaveApiToken = Schema.TaggedStruct("SaveApiToken", { sealedToken: Schema.String, at: Instant })

export const DeleteTenant = Schema.TaggedStruct("DeleteTenant", { at: Instant })

/** Who issues a membership command; master admins act as owners of every tenant. */
export const CommandActor = Schema.Struct({ userId: UserId, masterAdmin: Schema.Boolean })
export type CommandActor = typeof CommandActor.Type

/** Invites `email` (sealed, fingerprinted), or refreshes the pending invite for it. */
export const InviteMember = Schema.TaggedStruct("InviteMember", {
  actor: CommandActor,
  sealedEmail: Schema.String,
  emailFingerprint: Schema.String,
  role: Role,
  tokenHash: Schema.String,
  expiresAt: Instant,
  at: Instant
})

export const RevokeInvite = Schema.TaggedStruct("RevokeInvite", {
  actor: CommandActor,
  inviteId: InviteId,
  at: Instant
})

/** The actor takes up an invite; `emailFingerprint` is their session's email, when it has one. */
export const AcceptInvite = Schema.TaggedStruct("AcceptInvite", {
  actor: CommandActor,
  inviteId: InviteId,
  tokenHash: Schema.String,
  emailFingerprint: Schema.NullOr(Schema.String),
  at: Instant
})

export const ChangeMemberRole = Schema.TaggedStruct("ChangeMemberRole", {
  actor: CommandActor,
  userId: UserId,
  role: Role,
  at: Instant
})

export const RemoveMember = Schema.TaggedStruct("RemoveMember", {
  actor: CommandActor,
  userId: UserId,
  at: Instant
})

/** Sets the site-publish secret unless one exists (idempotent). */
export const GenerateWebhookSecret = Schema.TaggedStruct("GenerateWebhookSecret", {
  sealedSecret: Schema.String,
  at: Instant
})

export const RotateWebhookSecret = Schema.TaggedStruct("RotateWebhookSecret", {
  sealedSecret: Schema.String,
  at: Instant
})

export const CreateCacheRefreshWebhook = Schema.TaggedStruct("CreateCacheRefreshWebhook", {
  webhookId: WebhookId,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  at: Instant
})

export const RegenerateCacheRefreshWebhook = Schema.TaggedStruct("RegenerateCacheRefreshWebhook", {
  webhookId: Schema.String,
  secretHash: Schema.String,
  at: Instant
})

/**
 * A cache-refresh delivery's bump: `secretHash` is the digest of the secret in the URL the
 * delivery came in by. The decider checks it against the stream's own state, so a webhook
 * regenerated or deleted on another node refuses the old secret from that append on, even
 * while this node's lookup cache has not heard of it yet.
 */
export const BumpCacheVersionsForWebhook = Schema.TaggedStruct("BumpCacheVersionsForWebhook", {
  webhookId: Schema.String,
  secretHash: Schema.String,
  target: CacheTarget,
  at: Instant
})

export const DeleteCacheRefreshWebhook = Schema.TaggedStruct("DeleteCacheRefreshWebhook", {
  webhookId: Schema.String,
  at: Instant
})

export const TenantCommand = Schema.Union([
  CreateTenant,
  UpdateTenantConfig,
  BumpCacheVersions,
  SaveApiConfig,
  SaveApiToken,
  DeleteTenant,
  InviteMember,
  RevokeInvite,
  AcceptInvite,
  ChangeMemberRole,
  RemoveMember,
  GenerateWebhookSecret,
  RotateWebhookSecret,
  CreateCacheRefreshWebhook,
  RegenerateCacheRefreshWebhook,
  DeleteCacheRefreshWebhook,
  BumpCacheVersionsForWebhook
])
export type TenantCommand = typeof TenantCommand.Type

export type MembershipCommand = Extract<
  TenantCommand,
  { _tag: "InviteMember" | "RevokeInvite" | "AcceptInvite" | "ChangeMemberRole" | "RemoveMember" }
>

export type WebhookCommand = Extract<
  TenantCommand,
  {
    _tag:
      | "GenerateWebhookSecret"
      | "RotateWebhookSecret"
      | "CreateCacheRefreshWebhook"
      | "RegenerateCacheRefreshWebhook"
      | "DeleteCacheRefreshWebhook"
      | "BumpCacheVersionsForWebhook"
  }
>
