import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { Role } from "../shared/roles.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { Slug } from "./slug.ts"

/**
 * Facts about a tenant, past tense, stored as plain JSON under their tag. Each
 * carries `at`, the instant the command was decided. Changing a stored shape means
 * bumping its version in `schemaVersions` and adding an upcaster (see upcasters.ts).
 */
export const CacheTarget = Schema.Literals(["api", "assets", "html", "all"])
export type CacheTarget = typeof CacheTarget.Type

export const CacheVersions = Schema.Struct({
  apiCacheVersion: Schema.Int,
  assetCacheVersion: Schema.Int,
  htmlCacheVersion: Schema.Int
})
export type CacheVersions = typeof CacheVersions.Type

export const CacheTTL = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 31_536_000 })))

export const TenantCreated = Schema.TaggedStruct("TenantCreated", {
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  ownerId: UserId,
  at: Instant
})

export const TenantConfigChanges = Schema.Struct({
  cms: Schema.optionalKey(CmsConfig),
  cacheTTL: Schema.optionalKey(CacheTTL),
  websiteDomain: Schema.optionalKey(Schema.NullOr(Hostname)),
  siteProxy: Schema.optionalKey(Schema.Boolean)
})
export type TenantConfigChanges = typeof TenantConfigChanges.Type

export const TenantConfigUpdated = Schema.TaggedStruct("TenantConfigUpdated", {
  changes: TenantConfigChanges,
  at: Instant
})

export const CacheVersionsBumped = Schema.TaggedStruct("CacheVersionsBumped", {
  target: CacheTarget,
  versions: CacheVersions,
  at: Instant
})

export const ApiConfigSaved = Schema.TaggedStruct("ApiConfigSaved", { apiConfig: ApiConfig, at: Instant })

/** The token sealed under the tenant's own data key; deleting the tenant shreds that key. */
export const ApiTokenSaved = Schema.TaggedStruct("ApiTokenSaved", { sealedToken: Schema.String, at: Instant })

export const TenantDeleted = Schema.TaggedStruct("TenantDeleted", { slug: Slug, at: Instant })

/** Invite ids count up per tenant, from 1. */
export const InviteId = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(1)))

/**
 * Membership. Emails are sealed under the tenant's data key (`sealedEmail`) and compared
 * by a keyed fingerprint, so deleting the tenant shreds them; the invite token is kept
 * only as its SHA-256 hash. The acting user is in each event's metadata.
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

/** CMS providers whose cache-refresh webhooks we know how to read. */
export const WebhookProvider = Schema.Literals(["contentful", "prismic", "storyblok", "generic"])
export type WebhookProvider = typeof WebhookProvider.Type

/** `whk_…` ids of cache-refresh webhooks. */
export const WebhookId = Schema.String.pipe(Schema.check(Schema.isPattern(/^whk_[a-z0-9]{8,64}$/)))

/**
 * The site-publish webhook secret (e.g. Webflow), sealed under the tenant's data key so
 * it can be shown again; deleting the tenant shreds it.
 */
export const WebhookSecretGenerated = Schema.TaggedStruct("WebhookSecretGenerated", {
  sealedSecret: Schema.String,
  at: Instant
})

/** A new site-publish secret; the previous one stops working at once. */
export const WebhookSecretRotated = Schema.TaggedStruct("WebhookSecretRotated", {
  sealedSecret: Schema.String,
  at: Instant
})

/** A provider cache-refresh webhook; only the SHA-256 (hex) of its secret is kept. */
export const CacheRefreshWebhookCreated = Schema.TaggedStruct("CacheRefreshWebhookCreated", {
  webhookId: WebhookId,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  at: Instant
})

export const CacheRefreshWebhookRegenerated = Schema.TaggedStruct("CacheRefreshWebhookRegenerated", {
  webhookId: WebhookId,
  secretHash: Schema.String,
  at: Instant
})

export const CacheRefreshWebhookDeleted = Schema.TaggedStruct("CacheRefreshWebhookDeleted", {
  webhookId: WebhookId,
  at: Instant
})

export const TenantEvent = Schema.Union([
  TenantCreated,
  TenantConfigUpdated,
  CacheVersionsBumped,
  ApiConfigSaved,
  ApiTokenSaved,
  TenantDeleted,
  MemberInvited,
  InviteRefreshed,
  InviteRevoked,
  InviteAccepted,
  MemberRoleChanged,
  MemberRemoved,
  WebhookSecretGenerated,
  WebhookSecretRotated,
  CacheRefreshWebhookCreated,
  CacheRefreshWebhookRegenerated,
  CacheRefreshWebhookDeleted
])
export type TenantEvent = typeof TenantEvent.Type
export type TenantEventType = TenantEvent["_tag"]

/** The current stored shape of each event type. */
export const schemaVersions: Record<TenantEventType, number> = {
  TenantCreated: 2,
  TenantConfigUpdated: 1,
  CacheVersionsBumped: 1,
  ApiConfigSaved: 1,
  ApiTokenSaved: 1,
  TenantDeleted: 1,
  MemberInvited: 1,
  InviteRefreshed: 1,
  InviteRevoked: 1,
  InviteAccepted: 1,
  MemberRoleChanged: 1,
  MemberRemoved: 1,
  WebhookSecretGenerated: 1,
  WebhookSecretRotated: 1,
  CacheRefreshWebhookCreated: 1,
  CacheRefreshWebhookRegenerated: 1,
  CacheRefreshWebhookDeleted: 1
}

/** Event fields that hold sealed secrets: never shown in audit output. */
export const sealedFields: Partial<Record<TenantEventType, ReadonlyArray<string>>> = {
  ApiTokenSaved: ["sealedToken"],
  MemberInvited: ["sealedEmail", "emailFingerprint", "tokenHash"],
  InviteRefreshed: ["tokenHash"],
  WebhookSecretGenerated: ["sealedSecret"],
  WebhookSecretRotated: ["sealedSecret"],
  CacheRefreshWebhookCreated: ["secretHash"],
  CacheRefreshWebhookRegenerated: ["secretHash"]
}
