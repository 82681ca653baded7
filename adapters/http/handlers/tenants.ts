import { Effect, Schema } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Config, edgeKey } from "../../../application/config.ts"
import { TenantReadModel } from "../../../application/ports/TenantReadModel.ts"
import { createTenant } from "../../../application/tenants/createTenant.ts"
import {
  CmsConfig,
  cmsFieldNames,
  type Slug,
  slugMessages,
  slugProblem
} from "../../../domain/tenant/index.ts"
import { Api } from "../api/Api.ts"
import type { CreateTenantBody } from "../api/bodies.ts"
import { PlanLimit, SlugTaken, ValidationFailed } from "../api/errors.ts"
import { CurrentUser } from "../api/security.ts"
import { userRequestContext } from "./requestContext.ts"
import { tenantValue } from "./tenantValue.ts"

const decodeCms = Schema.decodeUnknownSync(CmsConfig)

/** The provider part of a flat create body. */
const cmsOf = (body: CreateTenantBody): CmsConfig =>
  decodeCms(
    Object.fromEntries(
      Object.entries(body).filter(
        ([key]) => key === "cms" || (cmsFieldNames as ReadonlyArray<string>).includes(key)
      )
    )
  )

export const TenantsHandlers = HttpApiBuilder.group(Api, "tenants", (handlers) =>
  Effect.gen(function* () {
    const readModel = yield* TenantReadModel
    const config = yield* Config
    return handlers
      .handle("listTenants", () =>
        Effect.gen(function* () {
          const user = yield* CurrentUser
          const tenants = yield* readModel.listForUser(user.userId)
          return {
            total: tenants.length,
            tenants: tenants.map(({ view, role }) => ({
              key: edgeKey(view.slug),
              slug: view.slug,
              role,
              value: tenantValue(view, config)
            }))
          }
        })
      )
      .handle("createTenant", ({ payload }) =>
        Effect.gen(function* () {
          const context = yield* userRequestContext
          const created = yield* createTenant(context, {
            slug: payload.slug,
            cms: cmsOf(payload),
            cacheTTL: payload.cacheTTL,
            websiteDomain: payload.websiteDomain,
            siteProxy: payload.siteProxy
          }).pipe(
            Effect.catchTags({
              SlugTaken: (error) =>
                Effect.fail(
                  new SlugTaken({ message: `The slug "${error.slug}" is already used`, slug: error.slug })
                ),
              PlanLimitReached: (error) =>
                Effect.fail(
                  new PlanLimit({
                    message: `Your ${error.plan} plan allows ${error.maxTenants} tenants`,
                    plan: error.plan,
                    maxTenants: error.maxTenants
                  })
                ),
              // A brand-new stream only conflicts with itself; the ids are random, so this is a bug.
              TenantAlreadyExists: Effect.die,
              TenantNotFound: Effect.die,
              ConcurrencyConflict: Effect.die
            })
          )
          return { ok: true, key: created.key, proxyBase: created.proxyBase }
        })
      )
      .handle("slugAvailability", ({ query }) =>
        Effect.gen(function* () {
          const problem = slugProblem(query.slug)
          if (problem === "format") {
            return yield* new ValidationFailed({
              message: "The slug is invalid",
              errors: { slug: [slugMessages.format] }
            })
          }
          if (problem === "reserved") return { slug: query.slug, available: false }
          const taken = yield* readModel.bySlug(query.slug as Slug)
          return { slug: query.slug, available: taken === undefined }
        })
      )
  })
)
