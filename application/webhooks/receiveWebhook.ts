import { Cause, Clock, Effect, Fiber, Option } from "effect"
import {
  type CacheTarget,
  type CacheVersions,
  type CacheVersionsCommand,
  type CacheVersionsEvent,
  type CacheVersionsState,
  cacheVersionsStream
} from "../../domain/cacheVersions/index.ts"
import type { TenantId, WebhookId } from "../../domain/shared/ids.ts"
import { webhookStream } from "../../domain/webhook/index.ts"
import { cacheVersionsAggregate, webhookAggregate } from "../aggregates.ts"
import { Principal } from "../auth/principal.ts"
import type { RequestContext } from "../context.ts"
import { edgeConfigProjectorName } from "../edge/edgeConfigProjector.ts"
import type { CommandContext, Handled } from "../handleCommand.ts"
import type { Checkpoint } from "../ports/EventStore.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import {
  type FinishedDelivery,
  type ReceivedDelivery,
  type WebhookRow,
  WebhookSecrets,
  WebhookStore
} from "../ports/WebhookStore.ts"
import { ProjectionWaits } from "../projections/projectionWaits.ts"
import { readTenant, runCommand } from "../runCommand.ts"

/** How long a delivery waits for `proxy:{slug}` to carry its new versions. */
export const kvSyncTimeoutMillis = 5000

/** A delivery running longer than this shows in the history as `received` until it ends. */
const receiptAfterMillis = 100

const iso = (millis: number) => new Date(millis).toISOString()

type Bumped = Handled<CacheVersionsEvent, CacheVersionsState>

const lastCheckpoint = (handled: Bumped): Checkpoint | undefined => {
  const last = handled.events.at(-1)
  return last === undefined ? undefined : { transactionId: last.transactionId, position: last.position }
}

/**
 * Bumps `targets` one after the other (each exactly once, group-committed with concurrent
 * deliveries), each with the command `bumpOf` makes for it from what it reads.
 */
const bump = (
  context: RequestContext,
  tenantId: string,
  targets: ReadonlyArray<CacheTarget>,
  bumpOf: (target: CacheTarget, at: string, read: CommandContext) => Effect.Effect<CacheVersionsCommand>
) =>
  Effect.gen(function* () {
    let handled: Bumped | undefined
    let checkpoint: Checkpoint | undefined
    for (const target of targets) {
      const at = iso(yield* Clock.currentTimeMillis)
      handled = yield* runCommand(
        cacheVersionsAggregate,
        { streamId: cacheVersionsStream(tenantId), tenantId },
        context,
        (_state, read) => bumpOf(target, at, read)
      )
      checkpoint = lastCheckpoint(handled) ?? checkpoint
    }
    return { versions: handled?.state.versions, checkpoint }
  })

/** Waits for the edge-config projector to have written everything up to `checkpoint`. */
const synced = (checkpoint: Checkpoint | undefined) =>
  checkpoint === undefined
    ? Effect.succeed(true)
    : Effect.flatMap(Effect.service(ProjectionWaits), (waits) =>
        waits.reached(edgeConfigProjectorName, checkpoint, kvSyncTimeoutMillis)
      )

export type CacheRefreshOutcome =
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "NothingToRefresh" }
  | { readonly _tag: "Refreshed"; readonly versions: CacheVersions }
  | { readonly _tag: "Failed" }

// Compared even for an unknown id, so that path costs the same.
const noDigest = "0".repeat(64)

/** Whether `secret` opens `webhook`: every other case (unknown, disabled, wrong) is one answer. */
const opens = (
  secrets: WebhookSecrets["Service"],
  webhook: WebhookRow | undefined,
  secret: string
): webhook is WebhookRow => {
  const matches = secrets.matches(secret, webhook?.secretHash ?? noDigest)
  return webhook?.enabled === true && matches
}

/**
 * The cache-refresh receiver's refusal from memory alone, for the HTTP edge to answer a
 * flood before doing anything else: true when this node's fresh knowledge of the webhook
 * (see `WebhookStore.cached`) already says 404. False means "not known here": the
 * receiver proper decides.
 */
export const cacheRefreshRefusal = Effect.gen(function* () {
  const store = yield* WebhookStore
  const secrets = yield* WebhookSecrets
  return (webhookId: string, secret: string): boolean => {
    const known = store.cached(webhookId)
    return known !== undefined && !opens(secrets, known.value, secret)
  }
})

/**
 * `POST /api/webhooks/cache-refresh/{id}/{secret}`. Every authentication failure is the
 * same `NotFound`. On success the api version (and the asset version when the webhook
 * opts in) goes up by one, the delivery waits until `proxy:{slug}` carries it, and the
 * received → synced | failed lifecycle is recorded. Untraced: it is the receivers' hot
 * path, and nothing reads a span per delivery.
 */
export const receiveCacheRefresh = Effect.fnUntraced(function* (
  webhookId: string,
  secret: string,
  delivery: { readonly requestId: string; readonly eventType: (provider: string) => string | null }
) {
  const store = yield* WebhookStore
  const secrets = yield* WebhookSecrets
  const webhook = yield* store.byId(webhookId)
  if (!opens(secrets, webhook, secret)) {
    return { _tag: "NotFound" } satisfies CacheRefreshOutcome as CacheRefreshOutcome
  }
  const targets: Array<CacheTarget> = []
  if (webhook.refreshApi) targets.push("api")
  if (webhook.refreshAssets) targets.push("assets")
  if (targets.length === 0) return { _tag: "NothingToRefresh" } as CacheRefreshOutcome

  const received = yield* Clock.currentTimeMillis
  const context: RequestContext = {
    principal: Principal.webhook(webhook.webhookId as WebhookId, webhook.tenantId as TenantId),
    requestId: delivery.requestId
  }
  const receipt: ReceivedDelivery = {
    webhookId,
    tenantId: webhook.tenantId,
    receivedAt: iso(received),
    refreshType: targets.join("+"),
    eventType: delivery.eventType(webhook.provider)
  }

  // A delivery that is over within a moment is recorded once, with its outcome. One
  // still running after `receiptAfterMillis` is recorded as received at that point, so
  // the history shows it in flight, and its row is finished at the end.
  let receiptId: number | undefined
  const receiving = yield* Effect.forkChild(
    Effect.sleep(receiptAfterMillis).pipe(
      Effect.andThen(
        Effect.uninterruptible(
          Effect.tap(store.recordReceived(receipt), (id) =>
            Effect.sync(() => {
              receiptId = id
            })
          )
        )
      )
    )
  )
  const finish = (fields: {
    readonly ok: boolean
    readonly versions: CacheVersions | undefined
    readonly message: string | null
  }) =>
    Effect.gen(function* () {
      yield* Fiber.interrupt(receiving)
      const finished = yield* Clock.currentTimeMillis
      const next = fields.versions?.apiCacheVersion ?? null
      const outcome: FinishedDelivery = {
        status: fields.ok ? "synced" : "failed",
        startedAt: iso(received),
        finishedAt: iso(finished),
        previousApiCacheVersion: next === null || !webhook.refreshApi ? next : next - 1,
        nextApiCacheVersion: next,
        durationMs: finished - received,
        kvSyncedAt: fields.ok ? iso(finished) : null,
        message: fields.message
      }
      yield* receiptId === undefined
        ? store.recordDelivered({ ...receipt, ...outcome })
        : store.recordFinished(receiptId, outcome)
    })

  // The decider checks the secret again against the webhook's own stream, which guards
  // the append (see BumpCacheVersionsForWebhook): this node's lookup may be a moment
  // behind a regeneration on another node.
  const presentedSecretHash = secrets.digest(secret)
  const bumped = yield* Effect.exit(
    bump(context, webhook.tenantId, targets, (target, at, read) =>
      Effect.gen(function* () {
        const own = yield* read.read(webhookAggregate, webhookStream(webhook.webhookId))
        const tenant = yield* readTenant(read, webhook.tenantId)
        return {
          _tag: "BumpCacheVersionsForWebhook" as const,
          webhookId: webhook.webhookId as WebhookId,
          target,
          tenantLive: tenant.status === "active",
          webhook:
            own.status === "active" && own.tenantId === webhook.tenantId
              ? { secretHash: own.secretHash }
              : null,
          presentedSecretHash,
          at
        }
      })
    )
  )
  const refused =
    bumped._tag === "Failure" &&
    Option.exists(Cause.findErrorOption(bumped.cause), (error) => error._tag === "WebhookNotFound")
  if (refused) {
    yield* Fiber.interrupt(receiving)
    if (receiptId !== undefined) {
      yield* finish({
        ok: false,
        versions: undefined,
        message: "The webhook's secret changed during the delivery"
      })
    }
    return { _tag: "NotFound" } as CacheRefreshOutcome
  }
  if (bumped._tag === "Failure") {
    yield* Effect.logWarning("cache-refresh webhook: refresh failed", { webhookId }, bumped.cause)
    yield* finish({ ok: false, versions: undefined, message: "The cache versions could not be bumped" })
    return { _tag: "Failed" } as CacheRefreshOutcome
  }
  const versions = bumped.value.versions
  const reached = yield* synced(bumped.value.checkpoint)
  if (!reached || versions === undefined) {
    yield* finish({
      ok: false,
      versions,
      message: `The edge KV was not updated within ${kvSyncTimeoutMillis} ms`
    })
    return { _tag: "Failed" } as CacheRefreshOutcome
  }
  yield* finish({ ok: true, versions, message: null })
  return { _tag: "Refreshed", versions } as CacheRefreshOutcome
})

export type SitePublishOutcome =
  | { readonly _tag: "TenantNotFound" }
  | { readonly _tag: "NotConfigured" }
  | { readonly _tag: "BadSecret" }
  | { readonly _tag: "Refreshed"; readonly htmlCacheVersion: number }
  | { readonly _tag: "Failed" }

/**
 * `POST /api/tenants/{slug}/webhook?secret=…` (site publish, e.g. Webflow): bumps the
 * html version once the secret matches the tenant's (sealed) one in constant time.
 */
export const receiveSitePublish = Effect.fn("receiveSitePublish")(function* (
  slug: string,
  secret: string | undefined,
  requestId: string
) {
  const store = yield* WebhookStore
  const secrets = yield* WebhookSecrets
  const box = yield* SecretBox
  const found = yield* store.siteSecretBySlug(slug)
  if (found === undefined) return { _tag: "TenantNotFound" } as SitePublishOutcome
  if (found.sealedSecret === null) return { _tag: "NotConfigured" } as SitePublishOutcome
  if (secret === undefined || secret === "") return { _tag: "BadSecret" } as SitePublishOutcome
  const expected = yield* box.open(found.tenantId, found.sealedSecret).pipe(Effect.option)
  if (expected._tag === "None") return { _tag: "TenantNotFound" } as SitePublishOutcome
  if (!secrets.matches(secret, secrets.digest(expected.value)))
    return { _tag: "BadSecret" } as SitePublishOutcome
  const context: RequestContext = { principal: Principal.sitePublish(found.tenantId as TenantId), requestId }
  const bumped = yield* Effect.exit(
    bump(context, found.tenantId, ["html"], (target, at, read) =>
      Effect.map(readTenant(read, found.tenantId), (tenant) => ({
        _tag: "BumpCacheVersions" as const,
        target,
        tenantLive: tenant.status === "active",
        at
      }))
    )
  )
  const gone =
    bumped._tag === "Failure" &&
    Option.exists(Cause.findErrorOption(bumped.cause), (error) => error._tag === "TenantNotFound")
  if (gone) return { _tag: "TenantNotFound" } as SitePublishOutcome
  if (bumped._tag === "Failure") {
    yield* Effect.logWarning("site-publish webhook: refresh failed", { slug }, bumped.cause)
    return { _tag: "Failed" } as SitePublishOutcome
  }
  const versions = bumped.value.versions
  if (versions === undefined) return { _tag: "TenantNotFound" } as SitePublishOutcome
  if (!(yield* synced(bumped.value.checkpoint))) return { _tag: "Failed" } as SitePublishOutcome
  return { _tag: "Refreshed", htmlCacheVersion: versions.htmlCacheVersion } as SitePublishOutcome
})
