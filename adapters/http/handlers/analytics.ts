import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import {
  readAnalytics,
  readBandwidthDaily,
  readTenantUsage,
  readUsageAcrossTenants
} from "../../../application/analytics/readAnalytics.ts"
import { Api } from "../api/Api.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

export const UsageHandlers = HttpApiBuilder.group(Api, "usage", (handlers) =>
  Effect.succeed(
    handlers.handle("usageAcrossTenants", ({ query }) =>
      Effect.flatMap(requestContext, (context) => readUsageAcrossTenants(context, query.period)).pipe(respond)
    )
  )
)

export const AnalyticsHandlers = HttpApiBuilder.group(Api, "analytics", (handlers) =>
  Effect.succeed(
    handlers
      .handle("analytics", ({ params, query }) =>
        Effect.flatMap(requestContext, (context) => readAnalytics(context, params.slug, query.period)).pipe(
          respond
        )
      )
      .handle("bandwidthDaily", ({ params, query }) =>
        Effect.flatMap(requestContext, (context) =>
          readBandwidthDaily(context, params.slug, { from: query.from, to: query.to })
        ).pipe(respond)
      )
      .handle("tenantUsage", ({ params, query }) =>
        Effect.flatMap(requestContext, (context) => readTenantUsage(context, params.slug, query.period)).pipe(
          respond
        )
      )
  )
)
