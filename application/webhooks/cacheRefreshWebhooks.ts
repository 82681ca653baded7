import { Effect } from "effect"
import type { TenantState, WebhookProvider } from "../../domain/tenant/index.ts"
import { WebhookNotFound } from "../../domain/tenant/index.ts"
import { Config } from "../config.ts"
import { Ids } from "../ports/Ids.ts"
import { WebhookSecrets, WebhookStore } from "../ports/WebhookStore.ts"
import { now, type RequestContext } from "../tenants/context.ts"
import { runTenantCommand } from "../tenants/runTenantCommand.ts"

/** How many deliveries `…/events` shows, newest first. */
export const webhookEventsLimit = 50

export const receiverUrl = (publicBaseUrl: string, webhookId: string, secret: string) =>
  `${publicBaseUrl}/api/webhooks/cache-refresh/${webhookId}/${secret}`

const webhookView = (state: TenantState, webhookId: string) => {
  const webhook = state.status === "active" ? state.cacheRefreshWebhooks?.[webhookId] : undefined
  if (webhook === undefined) return undefined
  return {
    id: webhookId,
    provider: webhook.provider,
    refreshApi: webhook.refreshApi,
    refreshAssets: webhook.refreshAssets,
    enabled: true,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt
  }
}

/** The webhook, its secret and receiver URL: the only time the secret is ever shown. */
const shownOnce = Effect.fnUntraced(function* (state: TenantState, webhookId: string, secret: string) {
  const config = yield* Config
  const webhook = webhookView(state, webhookId)
  if (webhook === undefined) return yield* Effect.die(new Error("webhook missing after its own event"))
  return { webhook, secret, url: receiverUrl(config.publicBaseUrl, webhookId, secret) }
})

export const createCacheRefreshWebhook = Effect.fn("createCacheRefreshWebhook")(function* (
  context: RequestContext,
  tenantId: string,
  input: { readonly provider: WebhookProvider; readonly refreshAssets: boolean }
) {
  const ids = yield* Ids
  const secrets = yield* WebhookSecrets
  const webhookId = yield* ids.make("whk")
  const secret = secrets.generate("whsec_")
  const at = yield* now
  const handled = yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({
      _tag: "CreateCacheRefreshWebhook" as const,
      webhookId,
      provider: input.provider,
      refreshApi: true,
      refreshAssets: input.refreshAssets,
      secretHash: secrets.digest(secret),
      at
    })
  )
  return yield* shownOnce(handled.state, webhookId, secret)
})

export const regenerateCacheRefreshWebhook = Effect.fn("regenerateCacheRefreshWebhook")(function* (
  context: RequestContext,
  tenantId: string,
  webhookId: string
) {
  const secrets = yield* WebhookSecrets
  const secret = secrets.generate("whsec_")
  const at = yield* now
  const handled = yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({
      _tag: "RegenerateCacheRefreshWebhook" as const,
      webhookId,
      secretHash: secrets.digest(secret),
      at
    })
  )
  return yield* shownOnce(handled.state, webhookId, secret)
})

export const deleteCacheRefreshWebhook = Effect.fn("deleteCacheRefreshWebhook")(function* (
  context: RequestContext,
  tenantId: string,
  webhookId: string
) {
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "DeleteCacheRefreshWebhook" as const, webhookId, at })
  )
  return { ok: true as const }
})

export const listCacheRefreshWebhooks = Effect.fn("listCacheRefreshWebhooks")(function* (tenantId: string) {
  const store = yield* WebhookStore
  return { webhooks: yield* store.list(tenantId) }
})

/** Recent deliveries of one of the tenant's live webhooks. */
export const cacheRefreshWebhookEvents = Effect.fn("cacheRefreshWebhookEvents")(function* (
  tenantId: string,
  webhookId: string
) {
  const store = yield* WebhookStore
  const webhook = yield* store.byId(webhookId)
  if (webhook === undefined || webhook.tenantId !== tenantId) {
    return yield* new WebhookNotFound({ webhookId })
  }
  return { events: yield* store.events(webhookId, webhookEventsLimit) }
})
