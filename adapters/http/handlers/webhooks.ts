import type { IncomingMessage } from "node:http"
import { Effect } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import type { ConcurrencyConflict } from "../../../application/handleCommand.ts"
import type { UniqueKeyTaken } from "../../../application/ports/EventStore.ts"
import {
  cacheRefreshWebhookEvents,
  createCacheRefreshWebhook,
  deleteCacheRefreshWebhook,
  listCacheRefreshWebhooks,
  regenerateCacheRefreshWebhook
} from "../../../application/webhooks/cacheRefreshWebhooks.ts"
import { receiveCacheRefresh, receiveSitePublish } from "../../../application/webhooks/receiveWebhook.ts"
import { ensureWebhookSecret, rotateWebhookSecret } from "../../../application/webhooks/siteWebhookSecret.ts"
import type { TenantAlreadyExists, TenantNotFound, WebhookNotFound } from "../../../domain/tenant/index.ts"
import { Api } from "../api/Api.ts"
import { Conflict, Forbidden, NotFound, Unauthorized } from "../api/errors.ts"
import { CurrentTenant } from "../api/security.ts"
import { Internal } from "../api/webhooks.ts"
import { cacheRefreshAnswer, deliveryEventType } from "../cacheRefreshReceiver.ts"
import { ReceiverLimits, tooManyDeliveriesAnswer } from "../rateLimit.ts"
import { CurrentRequestId } from "../requestId.ts"
import { userRequestContext } from "./requestContext.ts"

type CommandFailure =
  | TenantNotFound
  | TenantAlreadyExists
  | WebhookNotFound
  | ConcurrencyConflict
  | UniqueKeyTaken

const commandErrors = <A, R>(effect: Effect.Effect<A, CommandFailure, R>) =>
  Effect.catch(effect, (error): Effect.Effect<never, NotFound | Conflict> => {
    switch (error._tag) {
      case "TenantNotFound":
        return Effect.fail(new NotFound({ message: "The tenant no longer exists" }))
      case "WebhookNotFound":
        return Effect.fail(new NotFound({ message: `No webhook "${error.webhookId}" on this tenant` }))
      case "ConcurrencyConflict":
        return Effect.fail(new Conflict({ message: "The tenant kept changing under this request; retry" }))
      case "TenantAlreadyExists":
        return Effect.fail(new Conflict({ message: "A webhook with this id exists already; retry" }))
      case "UniqueKeyTaken":
        return Effect.die(error)
    }
  })

export const WebhooksHandlers = HttpApiBuilder.group(Api, "webhooks", (handlers) =>
  Effect.succeed(
    handlers
      .handle("generateWebhookSecret", () =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* ensureWebhookSecret(yield* userRequestContext, tenant.tenantId).pipe(commandErrors)
        })
      )
      .handle("rotateWebhookSecret", () =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* rotateWebhookSecret(yield* userRequestContext, tenant.tenantId).pipe(commandErrors)
        })
      )
      .handle("listCacheRefreshWebhooks", () =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* listCacheRefreshWebhooks(tenant.tenantId)
        })
      )
      .handle("createCacheRefreshWebhook", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* createCacheRefreshWebhook(yield* userRequestContext, tenant.tenantId, {
            provider: payload.provider,
            refreshAssets: payload.refreshAssets ?? false
          }).pipe(commandErrors)
        })
      )
      .handle("regenerateCacheRefreshWebhook", ({ params }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* regenerateCacheRefreshWebhook(
            yield* userRequestContext,
            tenant.tenantId,
            params.id
          ).pipe(commandErrors)
        })
      )
      .handle("deleteCacheRefreshWebhook", ({ params }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* deleteCacheRefreshWebhook(yield* userRequestContext, tenant.tenantId, params.id).pipe(
            commandErrors
          )
        })
      )
      .handle("cacheRefreshWebhookEvents", ({ params }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* cacheRefreshWebhookEvents(tenant.tenantId, params.id).pipe(
            Effect.catchTag("WebhookNotFound", (error) =>
              Effect.fail(new NotFound({ message: `No webhook "${error.webhookId}" on this tenant` }))
            )
          )
        })
      )
  )
)

/**
 * A 429 for a receiver request that reached the application by a URL form the gate left to
 * the router, once it is over the limits the gate applies (`ReceiverLimits`); none for a
 * request the gate has charged already.
 */
const overLimit = (
  limits: ReceiverLimits["Service"],
  request: HttpServerRequest.HttpServerRequest,
  key: string
) => {
  const source = request.source as IncomingMessage
  const wait = limits.take(source, source.socket?.remoteAddress ?? "unknown", key)
  if (wait === 0) return undefined
  const answer = tooManyDeliveriesAnswer(wait)
  return HttpServerResponse.jsonUnsafe(answer.body, { status: 429, headers: answer.headers })
}

export const WebhookReceiversHandlers = HttpApiBuilder.group(Api, "webhookReceivers", (handlers) =>
  Effect.gen(function* () {
    const limits = yield* ReceiverLimits
    return (
      handlers
        .handleRaw("sitePublishWebhook", ({ params, query, request }) =>
          Effect.gen(function* () {
            const limited = overLimit(limits, request, `site-publish:${params.slug}`)
            if (limited !== undefined) return limited
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
        // Most deliveries never get here: the receiver gate serves them on node:http
        // (cacheRefreshReceiver.ts). Both doors answer through `cacheRefreshAnswer`.
        .handleRaw("cacheRefreshWebhook", ({ params, request }) =>
          Effect.gen(function* () {
            const limited = overLimit(limits, request, params.webhookId)
            if (limited !== undefined) return limited
            const requestId = yield* CurrentRequestId
            const body = yield* Effect.option(request.arrayBuffer)
            const outcome = yield* receiveCacheRefresh(params.webhookId, params.secret, {
              requestId,
              eventType: deliveryEventType(
                request.headers,
                body._tag === "Some" ? new Uint8Array(body.value) : undefined
              )
            })
            const answer = cacheRefreshAnswer(outcome, requestId)
            return HttpServerResponse.jsonUnsafe(answer.body, { status: answer.status })
          })
        )
    )
  })
)
