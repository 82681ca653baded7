import { Effect, Schema } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Config } from "../../../application/config.ts"
import { formatIssues } from "../../../application/formatIssues.ts"
import type { ConcurrencyConflict } from "../../../application/handleCommand.ts"
import type { UniqueKeyTaken } from "../../../application/ports/EventStore.ts"
import { TenantReadModel } from "../../../application/ports/TenantReadModel.ts"
import { saveApiConfig, saveApiToken } from "../../../application/tenants/apiConfig.ts"
import { auditEvents } from "../../../application/tenants/auditEvents.ts"
import type { InvalidInput } from "../../../application/tenants/context.ts"
import { deleteTenant } from "../../../application/tenants/deleteTenant.ts"
import { refreshCache } from "../../../application/tenants/refreshCache.ts"
import { resyncEdgeConfig } from "../../../application/tenants/resyncEdgeConfig.ts"
import { updateTenant } from "../../../application/tenants/updateTenant.ts"
import { ApiConfig, type TenantAlreadyExists, type TenantNotFound } from "../../../domain/tenant/index.ts"
import { Api } from "../api/Api.ts"
import { Conflict, NotFound, ValidationFailed } from "../api/errors.ts"
import { CurrentTenant } from "../api/security.ts"
import { userRequestContext } from "./requestContext.ts"
import { tenantResponse } from "./tenantValue.ts"

type CommandFailure =
  | TenantNotFound
  | TenantAlreadyExists
  | ConcurrencyConflict
  | InvalidInput
  | UniqueKeyTaken

/** How command failures read over HTTP for a tenant that passed the access check. */
const commandErrors = <A, R>(
  effect: Effect.Effect<A, CommandFailure, R>
): Effect.Effect<A, NotFound | Conflict | ValidationFailed, R> =>
  Effect.catch(effect, (error): Effect.Effect<never, NotFound | Conflict | ValidationFailed> => {
    switch (error._tag) {
      case "TenantNotFound":
        return Effect.fail(new NotFound({ message: "The tenant no longer exists" }))
      case "ConcurrencyConflict":
        return Effect.fail(new Conflict({ message: "The tenant kept changing under this request; retry" }))
      case "InvalidInput":
        return Effect.fail(new ValidationFailed({ message: error.message, errors: error.errors }))
      // A live tenant's stream exists and its slug is already its own: these cannot happen.
      case "TenantAlreadyExists":
      case "UniqueKeyTaken":
        return Effect.die(error)
    }
  })

const decodeApiConfig = Schema.decodeUnknownResult(ApiConfig)

export const TenantHandlers = HttpApiBuilder.group(Api, "tenant", (handlers) =>
  Effect.gen(function* () {
    const readModel = yield* TenantReadModel
    const config = yield* Config

    /** After a write, the inline read model already holds it: read your own writes. */
    const current = (tenantId: string) =>
      Effect.flatMap(readModel.byId(tenantId), (view) =>
        view === undefined
          ? Effect.fail(new NotFound({ message: "The tenant no longer exists" }))
          : Effect.succeed(view)
      )

    return handlers
      .handle("getTenant", () => Effect.map(CurrentTenant, ({ tenant }) => tenantResponse(tenant, config)))
      .handle("updateTenant", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const { slug, ...patch } = payload
          if (slug !== undefined && slug !== tenant.slug) {
            return yield* new ValidationFailed({
              message: "The slug cannot change",
              errors: { slug: ["cannot change; create a new tenant instead"] }
            })
          }
          yield* updateTenant(yield* userRequestContext, tenant.tenantId, patch).pipe(commandErrors)
          return tenantResponse(yield* current(tenant.tenantId), config)
        })
      )
      .handle("deleteTenant", () =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const deleted = yield* deleteTenant(yield* userRequestContext, tenant.tenantId, tenant.slug).pipe(
            commandErrors
          )
          return { ok: true, key: deleted.key }
        })
      )
      .handle("refreshCache", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const refreshed = yield* refreshCache(
            yield* userRequestContext,
            tenant.tenantId,
            payload.type
          ).pipe(commandErrors)
          return { ok: true, versions: refreshed.versions }
        })
      )
      .handle("edgeConfig", () =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const synced = yield* resyncEdgeConfig(tenant.slug).pipe(Effect.orDie)
          return { ok: synced.summary !== null, ...synced }
        })
      )
      .handle("auditEvents", ({ query }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* auditEvents(tenant.tenantId, { limit: query.limit ?? 50, beforeId: query.beforeId })
        })
      )
      .handle("saveApiConfig", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const withDefaults = { apiCacheTTL: 60, cacheEnabled: true, previewEnabled: false, ...payload }
          const decoded = decodeApiConfig(withDefaults, { errors: "all", onExcessProperty: "error" })
          if (decoded._tag === "Failure") {
            return yield* new ValidationFailed({
              message: "The API configuration is invalid",
              errors: formatIssues(decoded.failure, withDefaults)
            })
          }
          return yield* saveApiConfig(yield* userRequestContext, tenant.tenantId, decoded.success).pipe(
            commandErrors
          )
        })
      )
      .handle("saveApiToken", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const saved = yield* saveApiToken(yield* userRequestContext, tenant.tenantId, payload.token).pipe(
            commandErrors
          )
          return { ok: true, updatedAt: saved.updatedAt }
        })
      )
  })
)
