import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type WebhookEventRow,
  type WebhookEventStatus,
  type WebhookListItem,
  type WebhookRow,
  WebhookStore
} from "../../application/ports/WebhookStore.ts"
import type { WebhookProvider } from "../../domain/tenant/index.ts"
import { AppendSignal } from "./AppendSignal.ts"
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
  // Answers (misses too) are kept until anything is appended, here or on another node
  // (NOTIFY), exactly like the tenants read model's cache: a regenerated or deleted
  // webhook's old secret never outlives the append that replaced it.
  const cache = new Map<string, { readonly generation: number; readonly value: WebhookRow | undefined }>()
  const cachedById = (webhookId: string) =>
    Effect.suspend(() => {
      const generation = appends.generation()
      const hit = cache.get(webhookId)
      if (hit !== undefined && hit.generation === generation) return Effect.succeed(hit.value)
      return Effect.tap(byIdQuery(webhookId), (value) =>
        Effect.sync(() => {
          if (cache.size >= cacheLimit) cache.clear()
          cache.set(webhookId, { generation, value })
        })
      )
    })

  // The receiver's hot path: one query on the primary key, joined to the live tenant.
  const byId = (webhookId: string) =>
    !plausibleId.test(webhookId) ? Effect.succeed(undefined) : cachedById(webhookId)

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

  const recordReceived: WebhookStore["Service"]["recordReceived"] = (delivery) =>
    sql<{ id: unknown }>`INSERT INTO tenant_webhook_events
        (webhook_id, tenant_id, status, received_at, refresh_type, event_type)
      VALUES (${delivery.webhookId}, ${delivery.tenantId}, 'received', ${delivery.receivedAt},
        ${delivery.refreshType}, ${delivery.eventType})
      RETURNING id`.pipe(
      Effect.map((rows) => asNumber(rows[0]!.id)),
      Effect.orDie
    )

  const recordFinished: WebhookStore["Service"]["recordFinished"] = (id, d) =>
    sql`UPDATE tenant_webhook_events SET status = ${d.status}, started_at = ${d.startedAt},
        finished_at = ${d.finishedAt}, previous_api_cache_version = ${d.previousApiCacheVersion},
        next_api_cache_version = ${d.nextApiCacheVersion}, duration_ms = ${d.durationMs},
        kv_synced_at = ${d.kvSyncedAt}, message = ${d.message}
      WHERE id = ${id}`.pipe(Effect.asVoid, Effect.orDie)

  return WebhookStore.of({ byId, siteSecretBySlug, list, events, recordReceived, recordFinished })
})

export const layer = Layer.effect(WebhookStore, make)
