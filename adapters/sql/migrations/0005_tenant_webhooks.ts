import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Webhooks. `tenant_webhooks` is an inline read model of the tenant log: one row per live
 * webhook, the site-publish secret (sealed, `kind = 'site-publish'`, id
 * `site-publish:{tenant}`) and each cache-refresh webhook (`kind = 'cache-refresh'`, its
 * SHA-256 only), found by id in one indexed query. `tenant_webhook_events` is operational
 * data written by the receiver (received → synced | failed), kept when the webhook or the
 * tenant goes.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE tenant_webhooks (
    webhook_id text PRIMARY KEY,
    tenant_id text NOT NULL,
    kind text NOT NULL,
    provider text,
    refresh_api boolean NOT NULL DEFAULT false,
    refresh_assets boolean NOT NULL DEFAULT false,
    enabled boolean NOT NULL DEFAULT true,
    secret_hash text,
    sealed_secret text,
    created_at text NOT NULL,
    updated_at text NOT NULL
  )`
  yield* sql`CREATE INDEX tenant_webhooks_by_tenant ON tenant_webhooks (tenant_id)`
  yield* sql`CREATE TABLE tenant_webhook_events (
    id bigserial PRIMARY KEY,
    webhook_id text NOT NULL,
    tenant_id text NOT NULL,
    status text NOT NULL,
    received_at text NOT NULL,
    started_at text,
    finished_at text,
    previous_api_cache_version integer,
    next_api_cache_version integer,
    refresh_type text,
    duration_ms integer,
    kv_synced_at text,
    message text,
    event_type text
  )`
  yield* sql`CREATE INDEX tenant_webhook_events_by_webhook ON tenant_webhook_events (webhook_id, id DESC)`
})
