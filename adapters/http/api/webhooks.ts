import { Context, Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { WebhookProvider } from "../../../domain/webhook/index.ts"
import { withExamples } from "./documented.ts"
import {
  Conflict,
  Forbidden,
  Internal,
  NotFound,
  PayloadTooLarge,
  RateLimited,
  Unauthorized,
  ValidationFailed
} from "./errors.ts"
import { MaxBodyBytes, RateLimitKey, Screen, type ScreenFn } from "./guards.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

const CacheVersionsJson = Schema.Struct({
  apiCacheVersion: Schema.Int,
  assetCacheVersion: Schema.Int,
  htmlCacheVersion: Schema.Int
})

const NullableString = Schema.NullOr(Schema.String)

export const CacheRefreshWebhookJson = Schema.Struct({
  id: Schema.String,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  enabled: Schema.Boolean,
  createdAt: Schema.String,
  updatedAt: Schema.String
})

export const CacheRefreshWebhookListItem = Schema.Struct({
  ...CacheRefreshWebhookJson.fields,
  lastTriggeredAt: NullableString,
  lastStatus: Schema.NullOr(Schema.Literals(["received", "synced", "failed"]))
})

export const CacheRefreshWebhookCreatedJson = Schema.Struct({
  webhook: CacheRefreshWebhookJson,
  secret: Schema.String,
  url: Schema.String
})

export const WebhookEventJson = Schema.Struct({
  id: Schema.Int,
  status: Schema.Literals(["received", "synced", "failed"]),
  receivedAt: Schema.String,
  startedAt: NullableString,
  finishedAt: NullableString,
  previousApiCacheVersion: Schema.NullOr(Schema.Int),
  nextApiCacheVersion: Schema.NullOr(Schema.Int),
  refreshType: NullableString,
  durationMs: Schema.NullOr(Schema.Int),
  kvSyncedAt: NullableString,
  message: NullableString,
  eventType: NullableString
})

export const CreateCacheRefreshWebhookBody = withExamples(
  Schema.Struct({ provider: WebhookProvider, refreshAssets: Schema.optionalKey(Schema.Boolean) }),
  [{ provider: "contentful" }, { provider: "generic", refreshAssets: true }]
)

const tenantPath = "/api/tenants/:slug"
const slugParams = { slug: SlugParam }
const webhookParams = { slug: SlugParam, id: Schema.String }

/** Webhook configuration of one tenant (a session; each use case states the role it needs). */
export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("generateWebhookSecret", `${tenantPath}/webhook-secret`, {
      params: slugParams,
      success: Schema.Struct({ secret: Schema.String }),
      error: Conflict
    }).annotate(
      OpenApi.Description,
      "The site-publish webhook secret; idempotent (the existing one comes back)."
    ),
    HttpApiEndpoint.put("rotateWebhookSecret", `${tenantPath}/webhook-secret`, {
      params: slugParams,
      success: Schema.Struct({ secret: Schema.String }),
      error: Conflict
    }).annotate(OpenApi.Description, "Rotates the site-publish secret; the old one fails at once."),
    HttpApiEndpoint.get("listCacheRefreshWebhooks", `${tenantPath}/cache-refresh-webhooks`, {
      params: slugParams,
      success: Schema.Struct({ webhooks: Schema.Array(CacheRefreshWebhookListItem) })
    }).annotate(
      OpenApi.Description,
      "The tenant's cache-refresh webhooks: metadata only, never a secret or hash."
    ),
    HttpApiEndpoint.post("createCacheRefreshWebhook", `${tenantPath}/cache-refresh-webhooks`, {
      params: slugParams,
      payload: CreateCacheRefreshWebhookBody,
      success: CacheRefreshWebhookCreatedJson,
      error: [ValidationFailed, Conflict]
    }).annotate(OpenApi.Description, "Creates a webhook; its secret and receiver URL are shown this once."),
    HttpApiEndpoint.post(
      "regenerateCacheRefreshWebhook",
      `${tenantPath}/cache-refresh-webhooks/:id/regenerate`,
      {
        params: webhookParams,
        success: CacheRefreshWebhookCreatedJson,
        error: Conflict
      }
    ).annotate(OpenApi.Description, "A new secret and URL; the old URL stops working at once."),
    HttpApiEndpoint.delete("deleteCacheRefreshWebhook", `${tenantPath}/cache-refresh-webhooks/:id`, {
      params: webhookParams,
      success: Schema.Struct({ ok: Schema.Boolean }),
      error: Conflict
    }).annotate(OpenApi.Description, "Removes the webhook; its delivery history is kept."),
    HttpApiEndpoint.get("cacheRefreshWebhookEvents", `${tenantPath}/cache-refresh-webhooks/:id/events`, {
      params: webhookParams,
      success: Schema.Struct({ events: Schema.Array(WebhookEventJson) })
    }).annotate(OpenApi.Description, "The webhook's 50 most recent deliveries, newest first.")
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Webhooks") {}

/** The largest body a webhook receiver accepts (413 beyond, never buffered whole). */
export const webhookMaxBodyBytes = 64 * 1024

/** The cache-refresh receiver's screen: a delivery this node already knows to be a 404. */
export class CacheRefreshScreen extends Context.Service<CacheRefreshScreen, ScreenFn>()(
  "tenantry/http/CacheRefreshScreen"
) {}

/**
 * The public receivers: no session, the secret is in the URL. They declare no payload
 * schema on purpose: providers send any content type (or none), and the body is read
 * raw, under the 64 KiB limit, only to name the event. Each delivery is charged to its
 * client and to its webhook (or the tenant's site-publish hook) before anything else.
 */
export class WebhookReceiversGroup extends HttpApiGroup.make("webhookReceivers")
  .add(
    HttpApiEndpoint.post("sitePublishWebhook", `${tenantPath}/webhook`, {
      params: slugParams,
      // A repeated `secret` is decoded, not refused with 400: the handler treats it as a wrong
      // secret (401), as the seed answers any missing or invalid one.
      query: { secret: Schema.optional(Schema.Union([Schema.String, Schema.Array(Schema.String)])) },
      success: Schema.Struct({ ok: Schema.Boolean, htmlCacheVersion: Schema.Int }),
      error: [Unauthorized, Forbidden, NotFound, PayloadTooLarge, RateLimited, Internal]
    })
      .annotate(RateLimitKey, (params) => `site-publish:${params.slug}`)
      .annotate(
        OpenApi.Description,
        "Site publish (e.g. Webflow): bumps the html cache version. 404 unknown tenant, 403 no secret configured, 401 missing or wrong secret."
      ),
    HttpApiEndpoint.post("cacheRefreshWebhook", "/api/webhooks/cache-refresh/:webhookId/:secret", {
      params: { webhookId: Schema.String, secret: Schema.String },
      success: Schema.Struct({
        ok: Schema.Boolean,
        refreshed: Schema.Boolean,
        versions: Schema.optionalKey(CacheVersionsJson)
      }),
      error: [NotFound, PayloadTooLarge, RateLimited, Internal]
    })
      .annotate(RateLimitKey, (params) => params.webhookId ?? "")
      .annotate(Screen, CacheRefreshScreen)
      .annotate(
        OpenApi.Description,
        "Provider cache refresh: bumps the api (and, if opted in, assets) version and waits for the edge KV. Any authentication failure is 404."
      )
  )
  .annotate(MaxBodyBytes, webhookMaxBodyBytes)
  .annotate(OpenApi.Title, "Webhook receivers") {}
