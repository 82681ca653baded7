import { Context, type Effect } from "effect"
import type { WebhookProvider } from "../../domain/webhook/index.ts"

/** A cache-refresh webhook as the receiver needs it: one indexed lookup by id. */
export interface WebhookRow {
  readonly webhookId: string
  readonly tenantId: string
  readonly slug: string
  readonly provider: WebhookProvider
  readonly refreshApi: boolean
  readonly refreshAssets: boolean
  readonly enabled: boolean
  readonly secretHash: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** Metadata only: never the hash. */
export interface WebhookListItem {
  readonly id: string
  readonly provider: WebhookProvider
  readonly refreshApi: boolean
  readonly refreshAssets: boolean
  readonly enabled: boolean
  readonly createdAt: string
  readonly updatedAt: string
  readonly lastTriggeredAt: string | null
  readonly lastStatus: WebhookEventStatus | null
}

export type WebhookEventStatus = "received" | "synced" | "failed"

export interface WebhookEventRow {
  readonly id: number
  readonly status: WebhookEventStatus
  readonly receivedAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly previousApiCacheVersion: number | null
  readonly nextApiCacheVersion: number | null
  readonly refreshType: string | null
  readonly durationMs: number | null
  readonly kvSyncedAt: string | null
  readonly message: string | null
  readonly eventType: string | null
}

export interface ReceivedDelivery {
  readonly webhookId: string
  readonly tenantId: string
  readonly receivedAt: string
  readonly refreshType: string
  readonly eventType: string | null
}

export interface FinishedDelivery {
  readonly status: "synced" | "failed"
  readonly startedAt: string
  readonly finishedAt: string
  readonly previousApiCacheVersion: number | null
  readonly nextApiCacheVersion: number | null
  readonly durationMs: number
  readonly kvSyncedAt: string | null
  readonly message: string | null
}

/**
 * Webhook configuration (the inline read model `tenant_webhooks`, folded from the tenant
 * log) and the delivery history (`tenant_webhook_events`, operational data written by the
 * receivers and kept when a webhook is deleted).
 */
export class WebhookStore extends Context.Service<
  WebhookStore,
  {
    /** The live webhook with this id, with its tenant's slug. */
    readonly byId: (webhookId: string) => Effect.Effect<WebhookRow | undefined>
    /**
     * What `byId` would answer, when this node knows it from memory and nothing since
     * could have changed it; undefined when only the database can tell. Synchronous, for
     * refusing floods before any other work.
     */
    readonly cached: (webhookId: string) => { readonly value: WebhookRow | undefined } | undefined
    /** The tenant holding `slug` and its sealed site-publish secret (null when none is set). */
    readonly siteSecretBySlug: (
      slug: string
    ) => Effect.Effect<{ readonly tenantId: string; readonly sealedSecret: string | null } | undefined>
    readonly list: (tenantId: string) => Effect.Effect<ReadonlyArray<WebhookListItem>>
    /** The most recent deliveries of one webhook, newest first. */
    readonly events: (webhookId: string, limit: number) => Effect.Effect<ReadonlyArray<WebhookEventRow>>
    /** A delivery still running: its row, `received`, to finish later. */
    readonly recordReceived: (delivery: ReceivedDelivery) => Effect.Effect<number>
    readonly recordFinished: (id: number, delivery: FinishedDelivery) => Effect.Effect<void>
    /** A delivery over before it was recorded: its one row, with its outcome. */
    readonly recordDelivered: (delivery: ReceivedDelivery & FinishedDelivery) => Effect.Effect<void>
  }
>()("tenantry/application/ports/WebhookStore") {}

/**
 * Webhook secrets: fresh ones, their digest, and a constant-time check of a presented
 * secret against a stored digest.
 */
export class WebhookSecrets extends Context.Service<
  WebhookSecrets,
  {
    readonly generate: (prefix: string) => string
    readonly digest: (secret: string) => string
    /** sha256(presented) against the stored hex digest, in constant time. */
    readonly matches: (presented: string, storedDigest: string) => boolean
  }
>()("tenantry/application/ports/WebhookSecrets") {}
