import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { analyticsPeriods } from "../../../domain/analytics/index.ts"
import { documentedQuery } from "./documented.ts"
import { ValidationFailed } from "./errors.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

/**
 * Traffic analytics, daily bandwidth and usage (CONTRACT.md, Analytics and usage): figures
 * computed from the request-log rollups (never raw records), UTC throughout.
 */

const described = <S extends Schema.Top>(schema: S, description: string): S =>
  schema.annotate({ description }) as S

const Count = (description: string) =>
  described(Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0))), description)
const Bytes = (description: string) => Count(`${description} (bytes)`)
const IsoInstant = (description: string) => described(Schema.String, `${description} (ISO 8601, UTC)`)
const Share = (description: string) =>
  described(
    Schema.NullOr(Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))),
    description
  )

// Queries ---------------------------------------------------------------------------------

const analyticsQuery = documentedQuery({
  period: Schema.optional(
    Schema.Literals(analyticsPeriods).annotate({
      description:
        "The window: the last 24 hours (hourly points) or 7, 30 or 90 days (daily points), ending with the current, still open, hour or day (UTC). Default 7d.",
      examples: ["7d"]
    })
  )
})

const DateText = Schema.String.annotate({
  description: "A UTC calendar day, not after today.",
  examples: ["2026-12-01"]
}).pipe(Schema.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/u)))

const bandwidthQuery = documentedQuery({
  from: Schema.optional(
    DateText.annotate({
      description:
        "First day (included), YYYY-MM-DD, UTC; not after `to` and at most 366 days before it. Default 29 days before `to`."
    })
  ),
  to: Schema.optional(
    DateText.annotate({
      description: "Last day (included), YYYY-MM-DD, UTC; not after today. Default today."
    })
  )
})

const MonthText = Schema.String.annotate({
  description: "A UTC month YYYY-MM, not after the current one. Default the current month.",
  examples: ["2026-12"]
}).pipe(Schema.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])$/u)))

const usageQuery = documentedQuery({ period: Schema.optional(MonthText) })

// Answers ---------------------------------------------------------------------------------

const SurfaceFigures = Schema.Struct({
  requests: Count("Requests served on this surface"),
  bytesOut: Bytes("Sent to clients from this surface")
})

export const AnalyticsResponse = Schema.Struct({
  period: Schema.Literals(analyticsPeriods),
  from: IsoInstant("Start of the first bucket"),
  to: IsoInstant("End of the last bucket (exclusive)"),
  granularity: described(Schema.Literals(["hour", "day"]), "hour for 24h, day otherwise"),
  complete: described(
    Schema.Boolean,
    "Whether every bucket has closed; false while the last bucket (the current hour or day) is still open"
  ),
  totals: Schema.Struct({
    requests: Count("Requests in the window"),
    cacheHits: Count("Served from the edge cache (HIT)"),
    cacheMisses: Count("Fetched from the origin and cached (MISS)"),
    cacheBypasses: Count("Passed through uncached (BYPASS)"),
    hitRatio: Share("cacheHits / (cacheHits + cacheMisses); null when both are 0"),
    bytesOut: Bytes("Sent to clients"),
    bytesFromOrigin: Bytes("Fetched from origins"),
    bytesSaved: Bytes("max(0, bytesOut - bytesFromOrigin): origin traffic the cache spared"),
    status: Schema.Struct({
      "2xx": Count("Answers 200-299"),
      "3xx": Count("Answers 300-399"),
      "4xx": Count("Answers 400-499"),
      "5xx": Count("Answers 500-599")
    })
  }),
  latency: Schema.Struct({
    p50: described(
      Schema.NullOr(Schema.Number),
      "Median request duration (ms), read from the rollups' histogram: the upper bound of the bucket holding it; null without requests"
    ),
    p95: described(Schema.NullOr(Schema.Number), "95th percentile of the request duration (ms), as p50")
  }),
  surfaces: Schema.Struct({ site: SurfaceFigures, api: SurfaceFigures, assets: SurfaceFigures }),
  series: described(
    Schema.Array(
      Schema.Struct({
        t: IsoInstant("Start of the hour or day"),
        requests: Count("Requests in the bucket"),
        cacheHits: Count("Cache hits in the bucket"),
        bytesOut: Bytes("Sent to clients in the bucket"),
        errors: Count("5xx answers in the bucket")
      })
    ),
    "One point per bucket, oldest first, zero-filled: 24 hourly points for 24h, 7/30/90 daily points otherwise"
  ),
  topPaths: described(
    Schema.Array(
      Schema.Struct({
        path: described(Schema.String, "Request path without the query"),
        requests: Count("Requests for the path"),
        bytesOut: Bytes("Sent for the path")
      })
    ),
    "At most 10, most requests first, over the UTC days the window touches (per-day top-k tables)"
  ),
  topCountries: described(
    Schema.Array(
      Schema.Struct({
        country: described(Schema.String, "ISO 3166-1 alpha-2 code"),
        requests: Count("Requests from the country")
      })
    ),
    "At most 10, most requests first, over the UTC days the window touches; records without a country are left out"
  )
})

export const BandwidthDailyResponse = Schema.Struct({
  from: described(Schema.String, "First day, YYYY-MM-DD (UTC)"),
  to: described(Schema.String, "Last day, YYYY-MM-DD (UTC), included"),
  days: described(
    Schema.Array(
      Schema.Struct({
        date: described(Schema.String, "YYYY-MM-DD (UTC)"),
        requests: Count("Requests that day"),
        bytesOut: Bytes("Sent to clients that day"),
        bytesFromOrigin: Bytes("Fetched from origins that day")
      })
    ),
    "One point per day from `from` to `to`, ascending, zero-filled"
  )
})

const MonthFigures = Schema.Struct({
  from: IsoInstant("Start of the month"),
  to: IsoInstant("Start of the next month (exclusive)"),
  requests: Count("Requests in the month"),
  bytesOut: Bytes("Sent to clients in the month"),
  bytesFromOrigin: Bytes("Fetched from origins in the month")
})

export const TenantUsageResponse = Schema.Struct({
  period: described(Schema.String, "The month, YYYY-MM (UTC)"),
  complete: described(Schema.Boolean, "false while the month runs"),
  current: MonthFigures,
  previous: described(MonthFigures, "The month before `period`"),
  limits: Schema.Struct({
    maxRequestsPerMonth: described(
      Schema.NullOr(Schema.Int),
      "The plan's monthly request limit; null when none"
    ),
    maxBandwidthBytesPerMonth: described(
      Schema.NullOr(Schema.Int),
      "The plan's monthly limit on bytes sent to clients; null when none"
    )
  }),
  used: Schema.Struct({
    requests: Share(
      "Share of maxRequestsPerMonth used in `period`, 0..1 (1 once reached); null without a limit"
    ),
    bandwidth: Share("Share of maxBandwidthBytesPerMonth used by bytesOut, 0..1; null without a limit")
  })
})

export const UsageAcrossTenantsResponse = Schema.Struct({
  period: described(Schema.String, "The month, YYYY-MM (UTC)"),
  tenants: described(
    Schema.Array(
      Schema.Struct({
        slug: Schema.String,
        role: described(Schema.String, "The caller's role in the tenant"),
        current: MonthFigures,
        previous: MonthFigures
      })
    ),
    "Each live tenant the caller belongs to, by slug"
  ),
  total: described(
    Schema.Struct({ current: MonthFigures, previous: MonthFigures }),
    "The sums over the listed tenants"
  )
})

// Groups ----------------------------------------------------------------------------------

/** Usage over every tenant of the caller: any signed-in user. */
export class UsageGroup extends HttpApiGroup.make("usage")
  .add(
    HttpApiEndpoint.get("usageAcrossTenants", "/api/tenants/usage", {
      query: usageQuery.fields,
      success: UsageAcrossTenantsResponse,
      error: ValidationFailed
    })
      .annotate(OpenApi.Description, "Monthly usage of each tenant the caller belongs to, and their sum.")
      .annotate(...usageQuery.document)
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Usage") {}

const tenantPath = "/api/tenants/:slug"
const slugParams = { slug: SlugParam }

/** One tenant's traffic: viewer and above. */
export class AnalyticsGroup extends HttpApiGroup.make("analytics")
  .add(
    HttpApiEndpoint.get("analytics", `${tenantPath}/analytics`, {
      params: slugParams,
      query: analyticsQuery.fields,
      success: AnalyticsResponse,
      error: ValidationFailed
    })
      .annotate(
        OpenApi.Description,
        "Traffic over a period: totals, cache hit ratio, bytes, status classes, latency, surfaces, a zero-filled series, top paths and countries."
      )
      .annotate(...analyticsQuery.document),
    HttpApiEndpoint.get("bandwidthDaily", `${tenantPath}/bandwidth-daily`, {
      params: slugParams,
      query: bandwidthQuery.fields,
      success: BandwidthDailyResponse,
      error: ValidationFailed
    })
      .annotate(OpenApi.Description, "Requests and bytes per UTC day over a range of at most 366 days.")
      .annotate(...bandwidthQuery.document),
    HttpApiEndpoint.get("tenantUsage", `${tenantPath}/usage`, {
      params: slugParams,
      query: usageQuery.fields,
      success: TenantUsageResponse,
      error: ValidationFailed
    })
      .annotate(OpenApi.Description, "A month's usage beside the month before, with the plan's limits.")
      .annotate(...usageQuery.document)
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Analytics") {}
