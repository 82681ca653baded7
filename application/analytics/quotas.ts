import { Effect } from "effect"
import { monthOf, zeroUsage } from "../../domain/analytics/index.ts"
import { quotaStream } from "../../domain/quota/index.ts"
import { quotaAggregate } from "../aggregates.ts"
import { Principal } from "../auth/principal.ts"
import { Config } from "../config.ts"
import { now, type RequestContext } from "../context.ts"
import { RequestLogs } from "../ports/RequestLogs.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { readTenant, runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"
import { monthlyLimits } from "./readAnalytics.ts"

/**
 * Quotas: after records are stored, each tenant's usage in the months they fall in is read
 * from the daily rollups and compared with the plan's monthly limits; a threshold (80 %,
 * 100 %) reached for the first time that month appends `QuotaThresholdReached` to the
 * tenant's quota stream, as Tenantry itself (actor `system`). The decider keeps each
 * crossing once per month, whatever the number of batches or nodes.
 */
export const recordQuotaUsage = tenantUseCase(
  "recordQuotaUsage",
  "owner",
  (context, access, months: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const config = yield* Config
      const limits = monthlyLimits(config)
      if (limits.maxRequestsPerMonth === null && limits.maxBandwidthBytesPerMonth === null) return []
      const logs = yield* RequestLogs
      const { tenantId } = access.tenant
      const appended = []
      for (const label of months) {
        const month = monthOf(Number(label.slice(0, 4)), Number(label.slice(5, 7)) - 1)
        const rows = yield* logs.rollups({
          tenantIds: [tenantId],
          granularity: "day",
          from: new Date(month.start),
          to: new Date(month.end)
        })
        let usage = zeroUsage
        for (const row of rows) {
          usage = {
            requests: usage.requests + row.requests,
            bytesOut: usage.bytesOut + row.bytesOut,
            bytesFromOrigin: 0
          }
        }
        const at = yield* now
        const handled = yield* runCommand(
          quotaAggregate,
          { streamId: quotaStream(tenantId), tenantId },
          context,
          (_state, read) =>
            Effect.map(readTenant(read, tenantId), (tenant) => ({
              _tag: "RecordMonthUsage" as const,
              month: month.label,
              requests: usage.requests,
              bytesOut: usage.bytesOut,
              maxRequestsPerMonth: limits.maxRequestsPerMonth,
              maxBandwidthBytesPerMonth: limits.maxBandwidthBytesPerMonth,
              tenantLive: tenant.status === "active",
              at
            }))
        )
        appended.push(...handled.events)
      }
      return appended
    }),
  { allowSystem: true }
)

/**
 * Runs `recordQuotaUsage` for the tenants and months of a stored batch, as the system.
 * Without a monthly limit in the plan it reads nothing at all.
 */
export const recordQuotasAfterIngest = Effect.fn("recordQuotasAfterIngest")(function* (
  records: ReadonlyArray<{ readonly tenantId: string; readonly ts: string }>,
  requestId: string
) {
  const config = yield* Config
  const limits = monthlyLimits(config)
  if (limits.maxRequestsPerMonth === null && limits.maxBandwidthBytesPerMonth === null) return
  const months = new Map<string, Set<string>>()
  for (const record of records) {
    const set = months.get(record.tenantId) ?? new Set<string>()
    set.add(record.ts.slice(0, 7))
    months.set(record.tenantId, set)
  }
  if (months.size === 0) return
  const views = yield* (yield* TenantReadModel).liveAmong({ tenantIds: [...months.keys()], slugs: [] })
  const context: RequestContext = { principal: Principal.system("quotas"), requestId }
  yield* Effect.forEach(
    views,
    (view) => recordQuotaUsage(context, view.slug, [...(months.get(view.tenantId) ?? [])].sort()),
    { concurrency: 4, discard: true }
  )
})
