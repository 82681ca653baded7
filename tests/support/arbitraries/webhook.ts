import fc from "fast-check"
import type { TenantId, WebhookId } from "../../../domain/shared/ids.ts"
import type { WebhookCommand, WebhookEvent, WebhookProvider } from "../../../domain/webhook/index.ts"
import { lowerAlnum, sha256HexArb, tenantIdArb, timed, type Untimed, word } from "./shared.ts"

/** Commands and events of a cache-refresh webhook (stream `webhook-{webhookId}`). */

type Command<Tag extends WebhookCommand["_tag"]> = Extract<WebhookCommand, { _tag: Tag }>

export const webhookIdArb: fc.Arbitrary<WebhookId> = word(lowerAlnum, 8, 24).map(
  (id) => `whk_${id}` as WebhookId
)

export const webhookProviderArb: fc.Arbitrary<WebhookProvider> = fc.constantFrom(
  "contentful",
  "prismic",
  "storyblok",
  "generic"
)

export const createCacheRefreshWebhookArb = (
  tenantId: fc.Arbitrary<TenantId> = tenantIdArb,
  webhookId: fc.Arbitrary<WebhookId> = webhookIdArb
): fc.Arbitrary<Untimed<Command<"CreateCacheRefreshWebhook">>> =>
  fc.record({
    _tag: fc.constant("CreateCacheRefreshWebhook" as const),
    tenantId,
    tenantLive: fc.constantFrom(true, true, true, false),
    webhookId,
    provider: webhookProviderArb,
    refreshApi: fc.boolean(),
    refreshAssets: fc.boolean(),
    secretHash: sha256HexArb
  })

export const regenerateCacheRefreshWebhookArb = (
  tenantId: fc.Arbitrary<TenantId> = tenantIdArb,
  webhookId: fc.Arbitrary<WebhookId> = webhookIdArb
): fc.Arbitrary<Untimed<Command<"RegenerateCacheRefreshWebhook">>> =>
  fc.record({
    _tag: fc.constant("RegenerateCacheRefreshWebhook" as const),
    tenantId,
    webhookId,
    secretHash: sha256HexArb
  })

export const deleteCacheRefreshWebhookArb = (
  tenantId: fc.Arbitrary<TenantId> = tenantIdArb,
  webhookId: fc.Arbitrary<WebhookId> = webhookIdArb
): fc.Arbitrary<Untimed<Command<"DeleteCacheRefreshWebhook">>> =>
  fc.record({ _tag: fc.constant("DeleteCacheRefreshWebhook" as const), tenantId, webhookId })

export const webhookCommandArb: fc.Arbitrary<WebhookCommand> = fc.oneof(
  timed(createCacheRefreshWebhookArb()),
  timed(regenerateCacheRefreshWebhookArb()),
  timed(deleteCacheRefreshWebhookArb())
)

/** Any webhook event the schema admits, `tenantId` included (the codec keeps it in the envelope). */
export const webhookEventArb: fc.Arbitrary<WebhookEvent> = fc.oneof(
  timed(
    createCacheRefreshWebhookArb().map(({ _tag, tenantLive, ...fields }) => ({
      _tag: "CacheRefreshWebhookCreated" as const,
      ...fields
    }))
  ),
  timed(
    regenerateCacheRefreshWebhookArb().map(({ _tag, ...fields }) => ({
      _tag: "CacheRefreshWebhookRegenerated" as const,
      ...fields
    }))
  ),
  timed(
    deleteCacheRefreshWebhookArb().map(({ _tag, ...fields }) => ({
      _tag: "CacheRefreshWebhookDeleted" as const,
      ...fields
    }))
  )
)
