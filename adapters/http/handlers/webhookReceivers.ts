import { Effect, Layer } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import {
  type CacheRefreshOutcome,
  cacheRefreshRefusal,
  receiveCacheRefresh,
  receiveSitePublish
} from "../../../application/webhooks/receiveWebhook.ts"
import { Api } from "../api/Api.ts"
import { Forbidden, Internal, NotFound, Unauthorized } from "../api/errors.ts"
import { CacheRefreshScreen } from "../api/webhooks.ts"
import { errorBody, errorResponse } from "../envelope.ts"
import { CurrentRequestId } from "../requestId.ts"

export const noSuchWebhook = "No such webhook"

const shortString = (value: unknown) =>
  typeof value === "string" && value !== "" ? value.slice(0, 200) : null

/** Best effort: Contentful's topic header, Prismic's `type`, Storyblok's `action` or `event`. */
export const eventTypeOf = (
  provider: string,
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  body: Record<string, unknown> | undefined
): string | null => {
  switch (provider) {
    case "contentful":
      return shortString(headers["x-contentful-topic"])
    case "prismic":
      return shortString(body?.type)
    case "storyblok":
      return shortString(body?.action) ?? shortString(body?.event)
    default:
      return null
  }
}

const textDecoder = new TextDecoder()

/**
 * The delivery's event type, for the receiver to ask once the delivery is authenticated:
 * a flood of wrong secrets costs no parsing. A body that is not a JSON object is simply
 * not inspected.
 */
const deliveryEventType =
  (headers: Readonly<Record<string, string | undefined>>, body: ArrayBuffer) =>
  (provider: string): string | null => {
    if (provider === "contentful" || body.byteLength === 0) return eventTypeOf(provider, headers, undefined)
    let parsed: unknown
    try {
      parsed = JSON.parse(textDecoder.decode(body))
    } catch {
      parsed = undefined
    }
    return eventTypeOf(
      provider,
      headers,
      typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined
    )
  }

/** What the cache-refresh receiver answers for an outcome. */
const cacheRefreshAnswer = (outcome: CacheRefreshOutcome, requestId: string) => {
  switch (outcome._tag) {
    case "NotFound":
      return HttpServerResponse.jsonUnsafe(errorBody(404, { message: noSuchWebhook }), { status: 404 })
    case "Failed":
      return HttpServerResponse.jsonUnsafe(
        errorBody(500, { message: "Something went wrong on our side", requestId }),
        { status: 500 }
      )
    case "NothingToRefresh":
      return HttpServerResponse.jsonUnsafe({ ok: true, refreshed: false })
    case "Refreshed": {
      const { apiCacheVersion, assetCacheVersion, htmlCacheVersion } = outcome.versions
      return HttpServerResponse.jsonUnsafe({
        ok: true,
        refreshed: true,
        versions: { apiCacheVersion, assetCacheVersion, htmlCacheVersion }
      })
    }
  }
}

/**
 * The cache-refresh receiver's screen (see api/guards.ts): what this node already knows to
 * be a 404 (unknown id, disabled webhook, wrong secret; see `cacheRefreshRefusal`) is
 * answered from memory, right after the limits, before the body is read or anything decoded.
 */
export const CacheRefreshScreenLive = Layer.effect(
  CacheRefreshScreen,
  Effect.map(cacheRefreshRefusal, (refused) => {
    const refusal = errorResponse(404, { message: noSuchWebhook })
    return CacheRefreshScreen.of((params) =>
      refused(params.webhookId ?? "", params.secret ?? "") ? refusal : undefined
    )
  })
)

/**
 * The public receivers, ordinary routes of the API: the rate limit, the 64 KiB body limit
 * and the cache-refresh screen are its route guards (routeGuards.ts), their answers its
 * envelope.
 */
export const WebhookReceiversHandlers = HttpApiBuilder.group(Api, "webhookReceivers", (handlers) =>
  handlers
    .handleRaw("sitePublishWebhook", ({ params, query, request }) =>
      Effect.gen(function* () {
        // Nothing in it is read, but it is held to the limit like any body (413 beyond).
        yield* Effect.orDie(request.arrayBuffer)
        const requestId = yield* CurrentRequestId
        const secret = typeof query.secret === "string" ? query.secret : undefined
        const outcome = yield* receiveSitePublish(params.slug, secret, requestId)
        switch (outcome._tag) {
          case "TenantNotFound":
            return yield* new NotFound({ message: `No tenant "${params.slug}"` })
          case "NotConfigured":
            return yield* new Forbidden({ message: "webhook not configured" })
          case "BadSecret":
            return yield* new Unauthorized({ message: "The webhook secret is missing or invalid" })
          case "Failed":
            return yield* new Internal({ message: "Something went wrong on our side", requestId })
          case "Refreshed":
            return { ok: true, htmlCacheVersion: outcome.htmlCacheVersion }
        }
      })
    )
    /**
     * A delivery the screen let through: its body read under the limit (a client that sent
     * `Expect: 100-continue` gets the go-ahead here, and only here), then delivered. The
     * delivery itself is uninterruptible: a client that goes away does not stop it half way,
     * and its history row is always finished. It runs on the request's own fiber, in the
     * server's scope, so the server's shutdown waits for it.
     */
    .handleRaw("cacheRefreshWebhook", ({ params, request }) =>
      Effect.gen(function* () {
        const body = yield* Effect.orDie(request.arrayBuffer)
        const requestId = yield* CurrentRequestId
        const outcome = yield* Effect.uninterruptible(
          receiveCacheRefresh(params.webhookId, params.secret, {
            requestId,
            eventType: deliveryEventType(request.headers, body)
          })
        )
        return cacheRefreshAnswer(outcome, requestId)
      })
    )
)
