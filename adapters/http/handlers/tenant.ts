import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Config } from "../../../application/config.ts"
import { saveApiConfig, saveApiToken } from "../../../application/tenants/apiConfig.ts"
import { auditEvents, auditHead } from "../../../application/tenants/auditEvents.ts"
import { tenantAuditFeed } from "../../../application/tenants/auditFeed.ts"
import { deleteTenant } from "../../../application/tenants/deleteTenant.ts"
import { getTenant } from "../../../application/tenants/readTenants.ts"
import { refreshCache } from "../../../application/tenants/refreshCache.ts"
import { resyncEdgeConfig } from "../../../application/tenants/resyncEdgeConfig.ts"
import { tenantAsOf } from "../../../application/tenants/tenantAsOf.ts"
import { updateTenant } from "../../../application/tenants/updateTenant.ts"
import { Api } from "../api/Api.ts"
import { CurrentUser } from "../api/security.ts"
import { feedResponse } from "../auditStreams.ts"
import { respond } from "../errorMap.ts"
import { feedStart } from "./audit.ts"
import { requestContext } from "./requestContext.ts"
import { tenantResponse } from "./tenantValue.ts"

export const TenantHandlers = HttpApiBuilder.group(Api, "tenant", (handlers) =>
  Effect.gen(function* () {
    const config = yield* Config
    return handlers
      .handle("getTenant", ({ params, query }) =>
        Effect.gen(function* () {
          if (query.asOf !== undefined) {
            const then = yield* tenantAsOf(yield* requestContext, params.slug, query.asOf)
            return {
              ...tenantResponse(then.view, config),
              asOf: "id" in then.asOf ? then.asOf.id : query.asOf
            }
          }
          const view = yield* getTenant(yield* requestContext, params.slug)
          return tenantResponse(view, config)
        }).pipe(respond)
      )
      .handle("updateTenant", ({ params, payload }) =>
        Effect.gen(function* () {
          const view = yield* updateTenant(yield* requestContext, params.slug, payload)
          return tenantResponse(view, config)
        }).pipe(respond)
      )
      .handle("deleteTenant", ({ params }) =>
        Effect.gen(function* () {
          const deleted = yield* deleteTenant(yield* requestContext, params.slug)
          return { ok: true, key: deleted.key }
        }).pipe(respond)
      )
      .handle("refreshCache", ({ params, payload }) =>
        Effect.gen(function* () {
          const refreshed = yield* refreshCache(yield* requestContext, params.slug, payload.type)
          return { ok: true, versions: refreshed.versions }
        }).pipe(respond)
      )
      .handle("edgeConfig", ({ params }) =>
        Effect.gen(function* () {
          const synced = yield* resyncEdgeConfig(yield* requestContext, params.slug)
          return { ok: synced.summary !== null, ...synced }
        }).pipe(respond)
      )
      .handle("auditEvents", ({ params, query }) =>
        Effect.flatMap(requestContext, (context) =>
          auditEvents(context, params.slug, { limit: query.limit ?? 50, beforeId: query.beforeId })
        ).pipe(respond)
      )
      .handle("auditStream", ({ params, query }) =>
        Effect.gen(function* () {
          const { request, after } = yield* feedStart(query.after)
          const feed = yield* tenantAuditFeed(yield* requestContext, params.slug, after).pipe(respond)
          const user = yield* CurrentUser
          return yield* feedResponse({ request, userId: user.userId, after, feed })
        })
      )
      .handle("auditHead", ({ params }) =>
        Effect.flatMap(requestContext, (context) => auditHead(context, params.slug)).pipe(respond)
      )
      .handle("saveApiConfig", ({ params, payload }) =>
        Effect.flatMap(requestContext, (context) => saveApiConfig(context, params.slug, payload)).pipe(
          respond
        )
      )
      .handle("saveApiToken", ({ params, payload }) =>
        Effect.gen(function* () {
          const saved = yield* saveApiToken(yield* requestContext, params.slug, payload.token)
          return { ok: true, updatedAt: saved.updatedAt }
        }).pipe(respond)
      )
  })
)
