import { Effect, Schema } from "effect"
import { type TenantId, WebhookId } from "../../domain/shared/ids.ts"
import {
  type WebhookCommand,
  WebhookNotFound,
  type WebhookProvider,
  type WebhookState,
  webhookStream
} from "../../domain/webhook/index.ts"
import { webhookAggregate } from "../aggregates.ts"
import { Config } from "../config.ts"
import { now, type RequestContext } from "../context.ts"
import { Ids } from "../ports/Ids.ts"
import { WebhookSecrets, WebhookStore } from "../ports/WebhookStore.ts"
import { readTenant, runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"

/** How many deliveries `…/events` shows, newest first. */
export const webhookEventsLimit = 50

export const receiverUrl = (publicBaseUrl: string, webhookId: string, secret: string) =>
  `${publicBaseUrl}/api/webhooks/cache-refresh/${webhookId}/${secret}`

const decodeWebhookId = Schema.decodeUnknownOption(WebhookId)

/** An id from a request, checked by its schema at the edge of the core: anything else names no webhook. */
export const webhookIdOf = (raw: string) =>
  Effect.fromOption(decodeWebhookId(raw)).pipe(Effect.mapError(() => new WebhookNotFound({ webhookId: raw })))

const webhookView = (state: WebhookState) => {
  if (state.status !== "active") return undefined
  return {
    id: state.webhookId,
    provider: state.provider,
    refreshApi: state.refreshApi,
    refreshAssets: state.refreshAssets,
    enabled: true,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt
  }
}

/** The webhook, its secret and receiver URL: the only time the secret is ever shown. */
const shownOnce = Effect.fnUntraced(function* (state: WebhookState, secret: string) {
  const config = yield* Config
  const webhook = webhookView(state)
  if (webhook === undefined) return yield* Effect.die(new Error("webhook missing after its own event"))
  return { webhook, secret, url: receiverUrl(config.publicBaseUrl, webhook.id, secret) }
})

export const createCacheRefreshWebhook = tenantUseCase(
  "createCacheRefreshWebhook",
  "admin",
  (context, access, input: { readonly provider: WebhookProvider; readonly refreshAssets: boolean }) =>
    Effect.gen(function* () {
      const { tenantId } = access.tenant
      const ids = yield* Ids
      const secrets = yield* WebhookSecrets
      const webhookId = WebhookId.make(yield* ids.make("whk"))
      const secret = secrets.generate("whsec_")
      const at = yield* now
      const handled = yield* runCommand(
        webhookAggregate,
        { streamId: webhookStream(webhookId), tenantId },
        context,
        (_state, read) =>
          Effect.map(readTenant(read, tenantId), (tenant) => ({
            _tag: "CreateCacheRefreshWebhook" as const,
            tenantId: tenantId as TenantId,
            tenantLive: tenant.status === "active",
            webhookId,
            provider: input.provider,
            refreshApi: true,
            refreshAssets: input.refreshAssets,
            secretHash: secrets.digest(secret),
            at
          }))
      )
      return yield* shownOnce(handled.state, secret)
    })
)

/** Runs a command the caller's tenant makes on one of its webhooks, named by an id from the request. */
const onWebhook = <C extends WebhookCommand>(
  context: RequestContext,
  tenantId: string,
  rawId: string,
  command: (webhookId: WebhookId, at: string) => C
) =>
  Effect.gen(function* () {
    const webhookId = yield* webhookIdOf(rawId)
    const at = yield* now
    return yield* runCommand(
      webhookAggregate,
      { streamId: webhookStream(webhookId), tenantId },
      context,
      () => Effect.succeed(command(webhookId, at))
    )
  })

export const regenerateCacheRefreshWebhook = tenantUseCase(
  "regenerateCacheRefreshWebhook",
  "admin",
  (context, access, rawId: string) =>
    Effect.gen(function* () {
      const secrets = yield* WebhookSecrets
      const secret = secrets.generate("whsec_")
      const tenantId = access.tenant.tenantId as TenantId
      const handled = yield* onWebhook(context, tenantId, rawId, (webhookId, at) => ({
        _tag: "RegenerateCacheRefreshWebhook" as const,
        tenantId,
        webhookId,
        secretHash: secrets.digest(secret),
        at
      }))
      return yield* shownOnce(handled.state, secret)
    })
)

export const deleteCacheRefreshWebhook = tenantUseCase(
  "deleteCacheRefreshWebhook",
  "admin",
  (context, access, rawId: string) => {
    const tenantId = access.tenant.tenantId as TenantId
    return Effect.as(
      onWebhook(context, tenantId, rawId, (webhookId, at) => ({
        _tag: "DeleteCacheRefreshWebhook" as const,
        tenantId,
        webhookId,
        at
      })),
      { ok: true as const }
    )
  }
)

export const listCacheRefreshWebhooks = tenantUseCase(
  "listCacheRefreshWebhooks",
  "editor",
  (_context, access) =>
    Effect.flatMap(Effect.service(WebhookStore), (store) =>
      Effect.map(store.list(access.tenant.tenantId), (webhooks) => ({ webhooks }))
    )
)

/** Recent deliveries of one of the tenant's live webhooks. */
export const cacheRefreshWebhookEvents = tenantUseCase(
  "cacheRefreshWebhookEvents",
  "editor",
  (_context, access, rawId: string) =>
    Effect.gen(function* () {
      const webhookId = yield* webhookIdOf(rawId)
      const store = yield* WebhookStore
      const webhook = yield* store.byId(webhookId)
      if (webhook === undefined || webhook.tenantId !== access.tenant.tenantId) {
        return yield* new WebhookNotFound({ webhookId })
      }
      return { events: yield* store.events(webhookId, webhookEventsLimit) }
    })
)
