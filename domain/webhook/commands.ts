import { Schema } from "effect"
import { Instant, TenantId, WebhookId } from "../shared/ids.ts"
import { WebhookProvider } from "./events.ts"

/**
 * Imperatives against one webhook's stream. `tenantId` is the tenant the caller acts on:
 * a webhook of another tenant is not found. `tenantLive` is read from the tenant's own
 * stream (the append is guarded on it), so no webhook is made for a deleted tenant.
 */
export const CreateCacheRefreshWebhook = Schema.TaggedStruct("CreateCacheRefreshWebhook", {
  tenantId: TenantId,
  tenantLive: Schema.Boolean,
  webhookId: WebhookId,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  at: Instant
})

export const RegenerateCacheRefreshWebhook = Schema.TaggedStruct("RegenerateCacheRefreshWebhook", {
  tenantId: TenantId,
  webhookId: WebhookId,
  secretHash: Schema.String,
  at: Instant
})

export const DeleteCacheRefreshWebhook = Schema.TaggedStruct("DeleteCacheRefreshWebhook", {
  tenantId: TenantId,
  webhookId: WebhookId,
  at: Instant
})

export const WebhookCommand = Schema.Union([
  CreateCacheRefreshWebhook,
  RegenerateCacheRefreshWebhook,
  DeleteCacheRefreshWebhook
])
export type WebhookCommand = typeof WebhookCommand.Type
