import { bytesSaved, hitRatio, sumCounters, type TrafficCounters, zeroCounters } from "./counters.ts"
import { histogramPercentile } from "./latency.ts"
import type { AnalyticsWindow, DayRange } from "./periods.ts"
import { isoDate, isoInstant, type Month } from "./time.ts"

/** One bucket of a rollup: its start (epoch ms, UTC hour or day) and its counters. */
export interface Bucket {
  readonly start: number
  readonly counters: TrafficCounters
}

export interface TopPath {
  readonly path: string
  readonly requests: number
  readonly bytesOut: number
}

export interface TopCountry {
  readonly country: string
  readonly requests: number
}

export const maxTopEntries = 10

/** `GET …/analytics` (CONTRACT.md, Analytics and usage). */
export const analyticsReport = (input: {
  readonly window: AnalyticsWindow
  readonly now: number
  readonly buckets: ReadonlyArray<Bucket>
  readonly topPaths: ReadonlyArray<TopPath>
  readonly topCountries: ReadonlyArray<TopCountry>
}) => {
  const { window } = input
  const byStart = new Map<number, Array<TrafficCounters>>()
  for (const bucket of input.buckets) {
    if (bucket.start < window.from || bucket.start >= window.to) continue
    const list = byStart.get(bucket.start) ?? []
    list.push(bucket.counters)
    byStart.set(bucket.start, list)
  }
  const series = window.buckets.map((start) => ({ start, counters: sumCounters(byStart.get(start) ?? []) }))
  const totals = sumCounters(series.map((point) => point.counters))
  return {
    period: window.period,
    from: isoInstant(window.from),
    to: isoInstant(window.to),
    granularity: window.granularity,
    complete: input.now >= window.to,
    totals: {
      requests: totals.requests,
      cacheHits: totals.cacheHits,
      cacheMisses: totals.cacheMisses,
      cacheBypasses: totals.cacheBypasses,
      hitRatio: hitRatio(totals),
      bytesOut: totals.bytesOut,
      bytesFromOrigin: totals.bytesFromOrigin,
      bytesSaved: bytesSaved(totals),
      status: { ...totals.status }
    },
    latency: { p50: histogramPercentile(totals.latency, 50), p95: histogramPercentile(totals.latency, 95) },
    surfaces: {
      site: { ...totals.surfaces.site },
      api: { ...totals.surfaces.api },
      assets: { ...totals.surfaces.assets }
    },
    series: series.map(({ start, counters }) => ({
      t: isoInstant(start),
      requests: counters.requests,
      cacheHits: counters.cacheHits,
      bytesOut: counters.bytesOut,
      errors: counters.status["5xx"]
    })),
    topPaths: rankTop(input.topPaths, (entry) => entry.path).map((entry) => ({
      path: entry.path,
      requests: entry.requests,
      bytesOut: entry.bytesOut
    })),
    topCountries: rankTop(input.topCountries, (entry) => entry.country).map((entry) => ({
      country: entry.country,
      requests: entry.requests
    }))
  }
}

/** Most requests first, ties by name, at most 10 (the ranking every list here follows). */
export const rankTop = <A extends { readonly requests: number }>(
  entries: ReadonlyArray<A>,
  name: (entry: A) => string
): ReadonlyArray<A> =>
  [...entries]
    .filter((entry) => entry.requests > 0)
    .sort((a, b) => b.requests - a.requests || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0))
    .slice(0, maxTopEntries)

/** `GET …/bandwidth-daily`: one point per day of the range, ascending, zero-filled. */
export const bandwidthReport = (range: DayRange, buckets: ReadonlyArray<Bucket>) => {
  const byDay = new Map<number, TrafficCounters>()
  for (const bucket of buckets) {
    byDay.set(bucket.start, sumCounters([byDay.get(bucket.start) ?? zeroCounters(), bucket.counters]))
  }
  return {
    from: isoDate(range.from),
    to: isoDate(range.to),
    days: range.days.map((day) => {
      const counters = byDay.get(day) ?? zeroCounters()
      return {
        date: isoDate(day),
        requests: counters.requests,
        bytesOut: counters.bytesOut,
        bytesFromOrigin: counters.bytesFromOrigin
      }
    })
  }
}

/** A month's usage: what the quotas count. */
export interface MonthUsage {
  readonly requests: number
  readonly bytesOut: number
  readonly bytesFromOrigin: number
}

export const zeroUsage: MonthUsage = { requests: 0, bytesOut: 0, bytesFromOrigin: 0 }

export const addUsage = (a: MonthUsage, b: MonthUsage): MonthUsage => ({
  requests: a.requests + b.requests,
  bytesOut: a.bytesOut + b.bytesOut,
  bytesFromOrigin: a.bytesFromOrigin + b.bytesFromOrigin
})

export const monthFigures = (month: Month, usage: MonthUsage) => ({
  from: isoInstant(month.start),
  to: isoInstant(month.end),
  requests: usage.requests,
  bytesOut: usage.bytesOut,
  bytesFromOrigin: usage.bytesFromOrigin
})

export interface MonthlyLimits {
  readonly maxRequestsPerMonth: number | null
  readonly maxBandwidthBytesPerMonth: number | null
}

/** The share of a limit used, 0..1 (a limit passed reads 1), or null without a limit. */
export const shareUsed = (used: number, limit: number | null): number | null =>
  limit === null ? null : limit === 0 ? (used > 0 ? 1 : 0) : Math.min(1, used / limit)
