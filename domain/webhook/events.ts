import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Instant, TenantId, WebhookId } from "../shared/ids.ts"

/** CMS providers whose cache-refresh webhooks we know how to read. */
export const WebhookProvider = Schema.Literals(["contentful", "prismic", "storyblok", "generic"])
export type WebhookProvider = typeof WebhookProvider.Type

/**
 * A provider cache-refresh webhook, a stream of its own (`webhook-{webhookId}`); only the
 * SHA-256 (hex) of its secret is kept. `tenantId` is the stored event's envelope (its
 * `tenant_id` column), not part of the stored data: the codec puts it here on read.
 */
export const CacheRefreshWebhookCreated = Schema.TaggedStruct("CacheRefreshWebhookCreated", {
  tenantId: TenantId,
  webhookId: WebhookId,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  at: Instant
})

export const CacheRefreshWebhookRegenerated = Schema.TaggedStruct("CacheRefreshWebhookRegenerated", {
  tenantId: TenantId,
  webhookId: WebhookId,
  secretHash: Schema.String,
  at: Instant
})

export const CacheRefreshWebhookDeleted = Schema.TaggedStruct("CacheRefreshWebhookDeleted", {
  tenantId: TenantId,
  webhookId: WebhookId,
  at: Instant
})

export const WebhookEvent = Schema.Union([
  CacheRefreshWebhookCreated,
  CacheRefreshWebhookRegenerated,
  CacheRefreshWebhookDeleted
])
export type WebhookEvent = typeof WebhookEvent.Type

export const webhookEvents: EventCatalog<WebhookEvent> = {
  schema: WebhookEvent,
  schemaVersions: {
    CacheRefreshWebhookCreated: 1,
    CacheRefreshWebhookRegenerated: 1,
    CacheRefreshWebhookDeleted: 1
  },
  upcasters: {},
  sealedFields: {
    CacheRefreshWebhookCreated: ["secretHash"],
    CacheRefreshWebhookRegenerated: ["secretHash"]
  }
}

/** Fields of these events kept in the stored event's envelope rather than its data. */
export const webhookEnvelopeFields = ["tenantId"] as const
