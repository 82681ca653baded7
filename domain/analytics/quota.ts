import type { MonthlyLimits, MonthUsage } from "./report.ts"

/**
 * Quota thresholds: passing 80 % and 100 % of a monthly limit is recorded once per month
 * and metric. Requests count against `maxRequestsPerMonth`, bytes out against
 * `maxBandwidthBytesPerMonth`.
 */
export const quotaThresholds = [80, 100] as const
export type QuotaThreshold = (typeof quotaThresholds)[number]
export type QuotaMetric = "requests" | "bandwidth"

export interface QuotaCrossing {
  readonly metric: QuotaMetric
  readonly threshold: QuotaThreshold
  readonly used: number
  readonly limit: number
}

/** The key a crossing is recorded under: one per month, metric and threshold. */
export const crossingKey = (month: string, metric: QuotaMetric, threshold: QuotaThreshold): string =>
  `${month}:${metric}:${threshold}`

/** Whether `used` has reached `threshold` % of `limit` (integers: no rounding). */
export const reached = (used: number, limit: number, threshold: QuotaThreshold): boolean =>
  used * 100 >= limit * threshold

/** The thresholds `usage` has reached in `month` that `recorded` does not hold yet, lowest first. */
export const newCrossings = (
  month: string,
  usage: MonthUsage,
  limits: MonthlyLimits,
  recorded: ReadonlySet<string>
): ReadonlyArray<QuotaCrossing> => {
  const crossings: Array<QuotaCrossing> = []
  const metrics: ReadonlyArray<readonly [QuotaMetric, number, number | null]> = [
    ["requests", usage.requests, limits.maxRequestsPerMonth],
    ["bandwidth", usage.bytesOut, limits.maxBandwidthBytesPerMonth]
  ]
  for (const [metric, used, limit] of metrics) {
    if (limit === null) continue
    for (const threshold of quotaThresholds) {
      if (reached(used, limit, threshold) && !recorded.has(crossingKey(month, metric, threshold))) {
        crossings.push({ metric, threshold, used, limit })
      }
    }
  }
  return crossings
}

/** Over quota: some limit of the month reached in full. */
export const overQuota = (usage: MonthUsage, limits: MonthlyLimits): boolean =>
  (limits.maxRequestsPerMonth !== null && reached(usage.requests, limits.maxRequestsPerMonth, 100)) ||
  (limits.maxBandwidthBytesPerMonth !== null &&
    reached(usage.bytesOut, limits.maxBandwidthBytesPerMonth, 100))
