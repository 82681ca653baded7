import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { microBatch } from "../../application/microBatch.ts"
import {
  type FinishedDelivery,
  type ReceivedDelivery,
  type WebhookEventRow,
  type WebhookEventStatus,
  type WebhookListItem,
  type WebhookRow,
  WebhookStore
} from "../../application/ports/WebhookStore.ts"
import type { WebhookProvider } from "../../domain/webhook/index.ts"
import { AppendSignal, type Stamp } from "./AppendSignal.ts"
import { webhooksProjection } from "./projections/webhooks.ts"
import { asNumber } from "./rows.ts"

interface WebhookRecord {
  readonly webhook_id: string
  readonly tenant_id: string
  readonly slug: string
  readonly provider: WebhookProvider
  readonly refresh_api: boolean
  readonly refresh_assets: boolean
  readonly enabled: boolean
  readonly secret_hash: string
  readonly created_at: string
  readonly updated_at: string
}

interface EventRecord {
  readonly id: unknown
  readonly status: WebhookEventStatus
  readonly received_at: string
  readonly started_at: string | null
  readonly finished_at: string | null
  readonly previous_api_cache_version: unknown
  readonly next_api_cache_version: unknown
  readonly refresh_type: string | null
  readonly duration_ms: unknown
  readonly kv_synced_at: string | null
  readonly message: string | null
  readonly event_type: string | null
}

const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : asNumber(value))

const toEvent = (row: EventRecord): WebhookEventRow => ({
  id: asNumber(row.id),
  status: row.status,
  receivedAt: row.received_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  previousApiCacheVersion: numberOrNull(row.previous_api_cache_version),
  nextApiCacheVersion: numberOrNull(row.next_api_cache_version),
  refreshType: row.refresh_type,
  durationMs: numberOrNull(row.duration_ms),
  kvSyncedAt: row.kv_synced_at,
  message: row.message,
  eventType: row.event_type
})

// Ids and slugs are ASCII; anything else (a NUL byte, a lone surrogate) cannot exist and
// must not reach the driver, which would refuse it with an error.
const plausibleId = /^whk_[a-z0-9]{1,64}$/
const plausibleSlug = /^[a-z0-9-]{1,63}$/

const cacheLimit = 50_000

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const appends = yield* AppendSignal

  // The receiver looks a webhook up on every delivery, floods of wrong ids included.
  // Answers (misses too) are kept until an append that can change one (a webhook event,
  // a tenant deleted), here or on another node (whose NOTIFY names the types appended):
  // a regenerated or deleted webhook's old secret never outlives the append that
  // replaced it, and the version bumps of valid deliveries do not empty the cache. At
  // most the TTL (`AppendSignal.cacheTtlMillis`), in case another node's NOTIFY is never
  // heard: then a lookup per id and TTL reaches the database.
  const freshness = appends.freshness(webhooksProjection.handles)
  const cache = new Map<string, { readonly stamp: Stamp; readonly value: WebhookRow | undefined }>()

  const cached = (webhookId: string): { readonly value: WebhookRow | undefined } | undefined => {
    if (!plausibleId.test(webhookId)) return { value: undefined }
    const hit = cache.get(webhookId)
    return hit !== undefined && freshness.isFresh(hit.stamp) ? hit : undefined
  }

  const byId = (webhookId: string) =>
    Effect.suspend(() => {
      const hit = cached(webhookId)
      if (hit !== undefined) return Effect.succeed(hit.value)
      // Stamped before the query: an append landing meanwhile leaves this answer stale-marked.
      const stamp = freshness.stamp()
      return Effect.tap(byIdQuery(webhookId), (value) =>
        Effect.sync(() => {
          if (cache.size >= cacheLimit) cache.clear()
          cache.set(webhookId, { stamp, value })
        })
      )
    })

  const byIdQuery = (webhookId: string) =>
    sql<WebhookRecord>`SELECT w.webhook_id, w.tenant_id, t.slug, w.provider, w.refresh_api, w.refresh_assets,
        w.enabled, w.secret_hash, w.created_at, w.updated_at
      FROM tenant_webhooks w JOIN tenants t ON t.tenant_id = w.tenant_id
      WHERE w.webhook_id = ${webhookId} AND w.kind = 'cache-refresh'`.pipe(
      Effect.map((rows): WebhookRow | undefined => {
        const row = rows[0]
        if (row === undefined) return undefined
        return {
          webhookId: row.webhook_id,
          tenantId: row.tenant_id,
          slug: row.slug,
          provider: row.provider,
          refreshApi: row.refresh_api,
          refreshAssets: row.refresh_assets,
          enabled: row.enabled,
          secretHash: row.secret_hash,
          createdAt: row.created_at,
          updatedAt: row.updated_at
        }
      }),
      Effect.orDie
    )

  const siteSecretBySlug = (slug: string) =>
    !plausibleSlug.test(slug) ? Effect.succeed(undefined) : siteSecretQuery(slug)

  const siteSecretQuery = (slug: string) =>
    sql<{ tenant_id: string; sealed_secret: string | null }>`SELECT t.tenant_id, w.sealed_secret
      FROM tenants t LEFT JOIN tenant_webhooks w ON w.webhook_id = ('site-publish:' || t.tenant_id)
      WHERE t.slug = ${slug}`.pipe(
      Effect.map((rows) =>
        rows[0] === undefined
          ? undefined
          : { tenantId: rows[0].tenant_id, sealedSecret: rows[0].sealed_secret ?? null }
      ),
      Effect.orDie
    )

  const list = (tenantId: string) =>
    sql<WebhookRecord & { last_triggered_at: string | null; last_status: WebhookEventStatus | null }>`
      SELECT w.webhook_id, w.provider, w.refresh_api, w.refresh_assets, w.enabled, w.created_at, w.updated_at,
        e.received_at AS last_triggered_at, e.status AS last_status
      FROM tenant_webhooks w
      LEFT JOIN LATERAL (
        SELECT received_at, status FROM tenant_webhook_events
        WHERE webhook_id = w.webhook_id ORDER BY id DESC LIMIT 1
      ) e ON true
      WHERE w.tenant_id = ${tenantId} AND w.kind = 'cache-refresh'
      ORDER BY w.created_at, w.webhook_id`.pipe(
      Effect.map((rows) =>
        rows.map(
          (row): WebhookListItem => ({
            id: row.webhook_id,
            provider: row.provider,
            refreshApi: row.refresh_api,
            refreshAssets: row.refresh_assets,
            enabled: row.enabled,
            createdAt: row.created_at,
            updatedAt: row.updated_at,
            lastTriggeredAt: row.last_triggered_at ?? null,
            lastStatus: row.last_status ?? null
          })
        )
      ),
      Effect.orDie
    )

  const events = (webhookId: string, limit: number) =>
    sql<EventRecord>`SELECT * FROM tenant_webhook_events WHERE webhook_id = ${webhookId}
      ORDER BY id DESC LIMIT ${limit}`.pipe(
      Effect.map((rows) => rows.map(toEvent)),
      Effect.orDie
    )

  // Deliveries arrive in bursts (a CMS fires dozens of hooks per publish): their rows are
  // written one statement per burst, not one per delivery.
  const insertBatch = microBatch(
    (
      rows: ReadonlyArray<
        ReceivedDelivery & { readonly status: WebhookEventStatus } & Partial<Omit<FinishedDelivery, "status">>
      >
    ) =>
      sql<{ id: unknown; ordinal: unknown }>`WITH input AS (
        SELECT nextval(pg_get_serial_sequence('tenant_webhook_events', 'id')) AS id, d.*
        FROM jsonb_to_recordset(${JSON.stringify(rows.map((row, ordinal) => ({ ordinal, ...row })))}::jsonb)
          AS d(ordinal int, "webhookId" text, "tenantId" text, status text, "receivedAt" text, "refreshType" text,
            "eventType" text, "startedAt" text, "finishedAt" text, "previousApiCacheVersion" int,
            "nextApiCacheVersion" int, "durationMs" int, "kvSyncedAt" text, message text)
      ), inserted AS (
        INSERT INTO tenant_webhook_events (id, webhook_id, tenant_id, status, received_at, refresh_type, event_type,
          started_at, finished_at, previous_api_cache_version, next_api_cache_version, duration_ms, kv_synced_at, message)
        SELECT id, "webhookId", "tenantId", status, "receivedAt", "refreshType", "eventType", "startedAt", "finishedAt",
          "previousApiCacheVersion", "nextApiCacheVersion", "durationMs", "kvSyncedAt", message FROM input
      )
      SELECT id, ordinal FROM input`.pipe(
        Effect.map((inserted) => {
          const ids = new Array<number>(rows.length)
          for (const row of inserted) ids[asNumber(row.ordinal)] = asNumber(row.id)
          return ids
        }),
        Effect.orDie
      ),
    { maxInFlight: 2 }
  )
  const recordReceived: WebhookStore["Service"]["recordReceived"] = (delivery) =>
    insertBatch({ ...delivery, status: "received" })
  const recordDelivered: WebhookStore["Service"]["recordDelivered"] = (delivery) =>
    Effect.asVoid(insertBatch(delivery))

  const finishBatch = microBatch(
    (finished: ReadonlyArray<{ readonly id: number } & FinishedDelivery>) =>
      sql`UPDATE tenant_webhook_events e SET status = d.status, started_at = d."startedAt",
          finished_at = d."finishedAt", previous_api_cache_version = d."previousApiCacheVersion",
          next_api_cache_version = d."nextApiCacheVersion", duration_ms = d."durationMs",
          kv_synced_at = d."kvSyncedAt", message = d.message
        FROM jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) AS d(id bigint, status text, "startedAt" text,
          "finishedAt" text, "previousApiCacheVersion" int, "nextApiCacheVersion" int, "durationMs" int,
          "kvSyncedAt" text, message text)
        WHERE e.id = d.id`.pipe(Effect.as(finished.map(() => undefined)), Effect.orDie),
    { maxInFlight: 2 }
  )
  const recordFinished: WebhookStore["Service"]["recordFinished"] = (id, delivery) =>
    finishBatch({ id, ...delivery })

  return WebhookStore.of({
    byId,
    cached,
    siteSecretBySlug,
    list,
    events,
    recordReceived,
    recordFinished,
    recordDelivered
  })
})

export const layer = Layer.effect(WebhookStore, make)
