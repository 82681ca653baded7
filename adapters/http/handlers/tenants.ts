import { Effect, Schema } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Config, edgeKey } from "../../../application/config.ts"
import { createTenant } from "../../../application/tenants/createTenant.ts"
import { listTenants, slugAvailability } from "../../../application/tenants/readTenants.ts"
import { CmsConfig, cmsFieldNames } from "../../../domain/tenant/index.ts"
import { Api } from "../api/Api.ts"
import type { CreateTenantBody } from "../api/bodies.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"
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
    const config = yield* Config
    return handlers
      .handle("listTenants", () =>
        Effect.gen(function* () {
          const tenants = yield* listTenants(yield* requestContext)
          return {
            total: tenants.length,
            tenants: tenants.map(({ view, role }) => ({
              key: edgeKey(view.slug),
              slug: view.slug,
              role,
              value: tenantValue(view, config)
            }))
          }
        }).pipe(respond)
      )
      .handle("createTenant", ({ payload }) =>
        Effect.gen(function* () {
          const created = yield* createTenant(yield* requestContext, {
            slug: payload.slug,
            cms: cmsOf(payload),
            cacheTTL: payload.cacheTTL,
            websiteDomain: payload.websiteDomain,
            siteProxy: payload.siteProxy
          })
          return { ok: true, key: created.key, proxyBase: created.proxyBase }
        }).pipe(respond)
      )
      .handle("slugAvailability", ({ query }) =>
        Effect.flatMap(requestContext, (context) => slugAvailability(context, query.slug)).pipe(respond)
      )
  })
)
