import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent, typesOf } from "../../../application/events/catalog.ts"
import type { InlineProjection } from "../InlineProjection.ts"

/** The site-publish secret (tenant stream), each webhook's own stream, and the tenant's end. */
const handles = typesOf(
  "WebhookSecretGenerated",
  "WebhookSecretRotated",
  "CacheRefreshWebhookCreated",
  "CacheRefreshWebhookRegenerated",
  "CacheRefreshWebhookDeleted",
  "TenantDeleted"
)

/** The site-publish secret's row id: one per tenant. */
export const sitePublishId = (tenantId: string) => `site-publish:${tenantId}`

/**
 * `tenant_webhooks`: the live webhooks of live tenants (see migration 0005). Deleting a
 * webhook or its tenant drops its row, so the receiver cannot find it any more; the
 * delivery history in `tenant_webhook_events` stays.
 */
export const webhooksProjection: InlineProjection = {
  name: "tenant_webhooks",
  tables: ["tenant_webhooks"],
  handles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (const stored of events) {
        const tenantId = stored.tenantId
        const event = decodeEvent(stored)
        switch (event._tag) {
          case "WebhookSecretGenerated":
          case "WebhookSecretRotated":
            yield* sql`INSERT INTO tenant_webhooks (webhook_id, tenant_id, kind, sealed_secret, created_at, updated_at)
              VALUES (${sitePublishId(tenantId)}, ${tenantId}, 'site-publish', ${event.sealedSecret}, ${event.at}, ${event.at})
              ON CONFLICT (webhook_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, updated_at = EXCLUDED.updated_at`
            break
          case "CacheRefreshWebhookCreated":
            yield* sql`INSERT INTO tenant_webhooks
              (webhook_id, tenant_id, kind, provider, refresh_api, refresh_assets, enabled, secret_hash, created_at, updated_at)
              VALUES (${event.webhookId}, ${tenantId}, 'cache-refresh', ${event.provider}, ${event.refreshApi},
                ${event.refreshAssets}, true, ${event.secretHash}, ${event.at}, ${event.at})
              ON CONFLICT (webhook_id) DO NOTHING`
            break
          case "CacheRefreshWebhookRegenerated":
            yield* sql`UPDATE tenant_webhooks SET secret_hash = ${event.secretHash}, updated_at = ${event.at}
              WHERE webhook_id = ${event.webhookId}`
            break
          case "CacheRefreshWebhookDeleted":
            yield* sql`DELETE FROM tenant_webhooks WHERE webhook_id = ${event.webhookId}`
            break
          case "TenantDeleted":
            yield* sql`DELETE FROM tenant_webhooks WHERE tenant_id = ${tenantId}`
            break
          default:
            break
        }
      }
    }),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenant_webhooks`
  }).pipe(Effect.orDie)
}
