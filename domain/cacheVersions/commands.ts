import { Schema } from "effect"
import { Instant, WebhookId } from "../shared/ids.ts"
import { CacheTarget } from "./events.ts"

/**
 * Bumps by a signed-in user or a site-publish delivery. `tenantLive` is read from the
 * tenant's own stream when the command is made (and the append is guarded on that
 * stream's version), so a deleted tenant's caches are never bumped.
 */
export const BumpCacheVersions = Schema.TaggedStruct("BumpCacheVersions", {
  target: CacheTarget,
  tenantLive: Schema.Boolean,
  at: Instant
})

/**
 * A cache-refresh delivery's bump. `presentedSecretHash` is the digest of the secret in the
 * URL the delivery came in by; `webhook` is the webhook as its own stream has it (null:
 * never created, deleted, or another tenant's), read when the command is made, with the
 * append guarded on that stream's version: a secret regenerated or a webhook deleted on
 * any node refuses the old secret from that append on.
 */
export const BumpCacheVersionsForWebhook = Schema.TaggedStruct("BumpCacheVersionsForWebhook", {
  webhookId: WebhookId,
  target: CacheTarget,
  tenantLive: Schema.Boolean,
  webhook: Schema.NullOr(Schema.Struct({ secretHash: Schema.String })),
  presentedSecretHash: Schema.String,
  at: Instant
})

export const CacheVersionsCommand = Schema.Union([BumpCacheVersions, BumpCacheVersionsForWebhook])
export type CacheVersionsCommand = typeof CacheVersionsCommand.Type
