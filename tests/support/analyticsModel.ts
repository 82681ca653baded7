import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"

/**
 * The analytics figures computed the plain way, straight from a list of records in
 * memory, with none of the rollups, histograms or tables: the oracle the properties hold
 * every endpoint to. Records are counted once per id (the store keeps the first).
 */

export const firstOfEachId = (records: ReadonlyArray<RequestLogRecord>): ReadonlyArray<RequestLogRecord> => {
  const seen = new Set<string>()
  return records.filter((record) => {
    if (seen.has(record.id)) return false
    seen.add(record.id)
    return true
  })
}

const msOf = (record: RequestLogRecord) => Date.parse(record.ts)
const within = (records: ReadonlyArray<RequestLogRecord>, from: number, to: number) =>
  records.filter((record) => msOf(record) >= from && msOf(record) < to)

const bounds = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

/** Nearest-rank percentile of the durations, reported as the histogram does: the bound above it. */
export const naivePercentile = (durations: ReadonlyArray<number>, percent: number): number | null => {
  if (durations.length === 0) return null
  const sorted = [...durations].sort((a, b) => a - b)
  const value = sorted[Math.max(1, Math.ceil((percent * sorted.length) / 100)) - 1]!
  return bounds.find((bound) => value <= bound) ?? bounds[bounds.length - 1]!
}

const top = <A extends { readonly requests: number }>(entries: Array<A>, name: (a: A) => string) =>
  entries
    .sort((a, b) => b.requests - a.requests || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0))
    .slice(0, 10)

export const naiveAnalytics = (
  all: ReadonlyArray<RequestLogRecord>,
  window: {
    readonly from: number
    readonly to: number
    readonly buckets: ReadonlyArray<number>
    readonly size: number
  },
  topDays: { readonly from: number; readonly to: number }
) => {
  const records = within(firstOfEachId(all), window.from, window.to)
  const count = (p: (r: RequestLogRecord) => boolean) => records.filter(p).length
  const sum = (rs: ReadonlyArray<RequestLogRecord>, f: (r: RequestLogRecord) => number) =>
    rs.reduce((s, r) => s + f(r), 0)
  const hits = count((r) => r.cache === "HIT")
  const misses = count((r) => r.cache === "MISS")
  const bytesOut = sum(records, (r) => r.bytesOut)
  const bytesFromOrigin = sum(records, (r) => r.bytesFromOrigin)
  const surface = (s: string) => {
    const rs = records.filter((r) => r.surface === s)
    return { requests: rs.length, bytesOut: sum(rs, (r) => r.bytesOut) }
  }
  const inTopDays = within(firstOfEachId(all), topDays.from, topDays.to)
  const paths = new Map<string, { path: string; requests: number; bytesOut: number }>()
  const countries = new Map<string, { country: string; requests: number }>()
  for (const r of inTopDays) {
    const p = paths.get(r.path) ?? { path: r.path, requests: 0, bytesOut: 0 }
    paths.set(r.path, { path: r.path, requests: p.requests + 1, bytesOut: p.bytesOut + r.bytesOut })
    if (r.country !== null) {
      const c = countries.get(r.country) ?? { country: r.country, requests: 0 }
      countries.set(r.country, { country: r.country, requests: c.requests + 1 })
    }
  }
  return {
    totals: {
      requests: records.length,
      cacheHits: hits,
      cacheMisses: misses,
      cacheBypasses: count((r) => r.cache === "BYPASS"),
      hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
      bytesOut,
      bytesFromOrigin,
      bytesSaved: Math.max(0, bytesOut - bytesFromOrigin),
      status: {
        "2xx": count((r) => r.status >= 200 && r.status < 300),
        "3xx": count((r) => r.status >= 300 && r.status < 400),
        "4xx": count((r) => r.status >= 400 && r.status < 500),
        "5xx": count((r) => r.status >= 500 && r.status < 600)
      }
    },
    latency: {
      p50: naivePercentile(
        records.map((r) => r.durationMs),
        50
      ),
      p95: naivePercentile(
        records.map((r) => r.durationMs),
        95
      )
    },
    surfaces: { site: surface("site"), api: surface("api"), assets: surface("assets") },
    series: window.buckets.map((start) => {
      const rs = within(records, start, start + window.size)
      return {
        t: new Date(start).toISOString(),
        requests: rs.length,
        cacheHits: rs.filter((r) => r.cache === "HIT").length,
        bytesOut: sum(rs, (r) => r.bytesOut),
        errors: rs.filter((r) => r.status >= 500).length
      }
    }),
    topPaths: top([...paths.values()], (e) => e.path),
    topCountries: top([...countries.values()], (e) => e.country)
  }
}

/** Per UTC day of `days`: requests, bytes out and from origin. */
export const naiveDaily = (all: ReadonlyArray<RequestLogRecord>, days: ReadonlyArray<number>) => {
  const records = firstOfEachId(all)
  return days.map((day) => {
    const rs = within(records, day, day + 86_400_000)
    return {
      date: new Date(day).toISOString().slice(0, 10),
      requests: rs.length,
      bytesOut: rs.reduce((s, r) => s + r.bytesOut, 0),
      bytesFromOrigin: rs.reduce((s, r) => s + r.bytesFromOrigin, 0)
    }
  })
}

/** Requests and bytes within `[from, to)`. */
export const naiveUsage = (all: ReadonlyArray<RequestLogRecord>, from: number, to: number) => {
  const rs = within(firstOfEachId(all), from, to)
  return {
    requests: rs.length,
    bytesOut: rs.reduce((s, r) => s + r.bytesOut, 0),
    bytesFromOrigin: rs.reduce((s, r) => s + r.bytesFromOrigin, 0)
  }
}
