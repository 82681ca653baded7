import { Clock, Effect, Result } from "effect"
import {
  type AnalyticsPeriod,
  addUsage,
  analyticsReport,
  analyticsWindow,
  bandwidthRange,
  bandwidthReport,
  type DayRange,
  defaultAnalyticsPeriod,
  type Month,
  type MonthlyLimits,
  type MonthUsage,
  maxTopEntries,
  monthFigures,
  previousMonth,
  type QueryErrors,
  shareUsed,
  usageMonth,
  windowDays,
  zeroUsage
} from "../../domain/analytics/index.ts"
import { Config, type TenantryConfig } from "../config.ts"
import { InvalidInput } from "../context.ts"
import { RequestLogs } from "../ports/RequestLogs.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { tenantUseCase, userUseCase } from "../useCase.ts"
import { bucketsOf } from "./rollupCounters.ts"

/**
 * The analytics read side (CONTRACT.md, Analytics and usage). Every figure comes from the
 * hourly and daily rollups and the per-day top-k tables (a query reads at most one row per
 * bucket and surface, and at most the top-k rows of each day), never from raw records, so
 * its cost does not grow with the traffic stored.
 */

const invalid = (errors: QueryErrors) =>
  new InvalidInput({
    message: "The query is invalid",
    errors: errors as Record<string, ReadonlyArray<string>>
  })

const orInvalid = <A>(result: Result.Result<A, QueryErrors>) =>
  Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(invalid(result.failure))

/** The analytics of one tenant over a period ending at `now`: what `GET …/analytics` answers. */
export const analyticsOf = Effect.fn("analyticsOf")(function* (
  tenantId: string,
  period: AnalyticsPeriod,
  now: number
) {
  const logs = yield* RequestLogs
  const window = analyticsWindow(period, now)
  const tenantIds = [tenantId]
  const days = windowDays(window)
  const topRange = {
    tenantIds,
    granularity: "day" as const,
    from: new Date(days.from),
    to: new Date(days.to)
  }
  const [rows, paths, countries] = yield* Effect.all(
    [
      logs.rollups({
        tenantIds,
        granularity: window.granularity,
        from: new Date(window.from),
        to: new Date(window.to)
      }),
      logs.topPaths(topRange, maxTopEntries),
      logs.topCountries(topRange, maxTopEntries + 1)
    ],
    { concurrency: "unbounded" }
  )
  return analyticsReport({
    window,
    now,
    buckets: bucketsOf(rows),
    topPaths: paths,
    topCountries: countries.flatMap((entry) =>
      entry.country === null ? [] : [{ country: entry.country, requests: entry.requests }]
    )
  })
})

/** `GET …/analytics?period=`: totals, series, latency, surfaces and the top lists. */
export const readAnalytics = tenantUseCase(
  "readAnalytics",
  "viewer",
  (_context, access, period: AnalyticsPeriod | undefined) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      analyticsOf(access.tenant.tenantId, period ?? defaultAnalyticsPeriod, now)
    )
)

/** One tenant's daily points over a validated range: what `GET …/bandwidth-daily` answers. */
export const bandwidthOf = Effect.fn("bandwidthOf")(function* (tenantId: string, range: DayRange) {
  const logs = yield* RequestLogs
  const rows = yield* logs.rollups({
    tenantIds: [tenantId],
    granularity: "day",
    from: new Date(range.from),
    to: new Date(range.to + 86_400_000)
  })
  return bandwidthReport(range, bucketsOf(rows))
})

/** `GET …/bandwidth-daily?from=&to=`: one zero-filled point per UTC day. */
export const readBandwidthDaily = tenantUseCase(
  "readBandwidthDaily",
  "viewer",
  (_context, access, query: { readonly from?: string | undefined; readonly to?: string | undefined }) =>
    Effect.gen(function* () {
      const range = yield* orInvalid(bandwidthRange(query, yield* Clock.currentTimeMillis))
      return yield* bandwidthOf(access.tenant.tenantId, range)
    })
)

/** The plan's monthly limits; every tenant is on the default plan (there is no plan change yet). */
export const monthlyLimits = (config: Pick<TenantryConfig, "plans" | "defaultPlan">): MonthlyLimits => {
  const plan = config.plans[config.defaultPlan]
  return {
    maxRequestsPerMonth: plan?.maxRequestsPerMonth ?? null,
    maxBandwidthBytesPerMonth: plan?.maxBandwidthBytesPerMonth ?? null
  }
}

/** Each tenant's usage in the month and the month before: one read of daily rollups for all. */
const usageOf = Effect.fn("usageOf")(function* (tenantIds: ReadonlyArray<string>, month: Month) {
  const previous = previousMonth(month)
  const logs = yield* RequestLogs
  const rows =
    tenantIds.length === 0
      ? []
      : yield* logs.rollups({
          tenantIds,
          granularity: "day",
          from: new Date(previous.start),
          to: new Date(month.end)
        })
  const usage = new Map<string, { current: MonthUsage; previous: MonthUsage }>()
  for (const tenantId of tenantIds) usage.set(tenantId, { current: zeroUsage, previous: zeroUsage })
  for (const row of rows) {
    const entry = usage.get(row.tenantId)
    if (entry === undefined) continue
    const add = { requests: row.requests, bytesOut: row.bytesOut, bytesFromOrigin: row.bytesFromOrigin }
    const inCurrent = Date.parse(row.bucket) >= month.start
    usage.set(row.tenantId, {
      current: inCurrent ? addUsage(entry.current, add) : entry.current,
      previous: inCurrent ? entry.previous : addUsage(entry.previous, add)
    })
  }
  return { previous, usage }
})

/** One tenant's month beside the month before, with the plan's limits: what `GET …/usage` answers. */
export const tenantUsageOf = Effect.fn("tenantUsageOf")(function* (
  tenantId: string,
  month: Month,
  now: number
) {
  const config = yield* Config
  const { previous, usage } = yield* usageOf([tenantId], month)
  const figures = usage.get(tenantId) ?? { current: zeroUsage, previous: zeroUsage }
  const limits = monthlyLimits(config)
  return {
    period: month.label,
    complete: now >= month.end,
    current: monthFigures(month, figures.current),
    previous: monthFigures(previous, figures.previous),
    limits,
    used: {
      requests: shareUsed(figures.current.requests, limits.maxRequestsPerMonth),
      bandwidth: shareUsed(figures.current.bytesOut, limits.maxBandwidthBytesPerMonth)
    }
  }
})

/** `GET …/usage?period=YYYY-MM`: the month beside the month before, with the plan's limits. */
export const readTenantUsage = tenantUseCase(
  "readTenantUsage",
  "viewer",
  (_context, access, period: string | undefined) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const month = yield* orInvalid(usageMonth(period, now))
      return yield* tenantUsageOf(access.tenant.tenantId, month, now)
    })
)

/** `GET /api/tenants/usage?period=`: every live tenant the caller belongs to, and the sums. */
export const readUsageAcrossTenants = userUseCase(
  "readUsageAcrossTenants",
  (_context, user, period: string | undefined) =>
    Effect.gen(function* () {
      const month = yield* orInvalid(usageMonth(period, yield* Clock.currentTimeMillis))
      const readModel = yield* TenantReadModel
      const tenants = yield* readModel.listForUser(user.userId)
      const { previous, usage } = yield* usageOf(
        tenants.map(({ view }) => view.tenantId),
        month
      )
      let current = zeroUsage
      let before = zeroUsage
      const listed = tenants.map(({ view, role }) => {
        const figures = usage.get(view.tenantId) ?? { current: zeroUsage, previous: zeroUsage }
        current = addUsage(current, figures.current)
        before = addUsage(before, figures.previous)
        return {
          slug: view.slug,
          role,
          current: monthFigures(month, figures.current),
          previous: monthFigures(previous, figures.previous)
        }
      })
      return {
        period: month.label,
        tenants: listed,
        total: { current: monthFigures(month, current), previous: monthFigures(previous, before) }
      }
    })
)
