import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import {
  addCounters,
  analyticsPeriods,
  analyticsReport,
  analyticsWindow,
  type Bucket,
  bandwidthRange,
  bandwidthReport,
  countersOf,
  crossingKey,
  dayMillis,
  floorDay,
  floorHour,
  hourMillis,
  newCrossings,
  parseDate,
  type TrafficCounters,
  usageMonth,
  windowDays
} from "../../domain/analytics/index.ts"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { firstOfEachId, naiveAnalytics, naiveDaily } from "../support/analyticsModel.ts"
import { analyticsEpoch, analyticsSpanMs, recordArb } from "../support/arbitraries/requestLog.ts"

/**
 * The figures as a person computes them from the records, whatever the records: the
 * rollup arithmetic (counters summed per UTC hour, hours into days, histograms merged)
 * gives every figure the naive computation over the same records in memory gives.
 */

const tenantId = "tnt_0000000000" as TenantId
const records = fc.array(recordArb(tenantId, "acme"), { maxLength: 120 })
const instant = fc.integer({ min: analyticsEpoch, max: analyticsEpoch + analyticsSpanMs + 2 * dayMillis })

/** Rollups the way the store keeps them: one bucket per UTC hour and one per UTC day, summed. */
const rollUp = (
  all: ReadonlyArray<RequestLogRecord>,
  floor: (ms: number) => number
): ReadonlyArray<Bucket> => {
  const buckets = new Map<number, TrafficCounters>()
  for (const record of firstOfEachId(all)) {
    const start = floor(Date.parse(record.ts))
    const counters = countersOf(record)
    const before = buckets.get(start)
    buckets.set(start, before === undefined ? counters : addCounters(before, counters))
  }
  return [...buckets].map(([start, counters]) => ({ start, counters }))
}

const topFrom = (all: ReadonlyArray<RequestLogRecord>, from: number, to: number) => {
  const inDays = firstOfEachId(all).filter((r) => Date.parse(r.ts) >= from && Date.parse(r.ts) < to)
  const paths = new Map<string, { path: string; requests: number; bytesOut: number }>()
  const countries = new Map<string, { country: string; requests: number }>()
  for (const r of inDays) {
    const p = paths.get(r.path) ?? { path: r.path, requests: 0, bytesOut: 0 }
    paths.set(r.path, { ...p, requests: p.requests + 1, bytesOut: p.bytesOut + r.bytesOut })
    if (r.country !== null) {
      const c = countries.get(r.country) ?? { country: r.country, requests: 0 }
      countries.set(r.country, { ...c, requests: c.requests + 1 })
    }
  }
  return { topPaths: [...paths.values()], topCountries: [...countries.values()] }
}

describe("Analytics figures (arbitrary records across hour, day and month boundaries, duplicates included)", () => {
  it("given any records and any instant, then every analytics figure equals the naive computation", () => {
    fc.assert(
      fc.property(records, instant, fc.constantFrom(...analyticsPeriods), (all, now, period) => {
        const window = analyticsWindow(period, now)
        const days = windowDays(window)
        const report = analyticsReport({
          window,
          now,
          buckets: rollUp(all, window.granularity === "hour" ? floorHour : floorDay),
          ...topFrom(all, days.from, days.to)
        })
        const naive = naiveAnalytics(
          all,
          { ...window, size: window.granularity === "hour" ? hourMillis : dayMillis },
          days
        )
        expect(report.totals).toEqual(naive.totals)
        expect(report.latency).toEqual(naive.latency)
        expect(report.surfaces).toEqual(naive.surfaces)
        expect(report.series).toEqual(naive.series)
        expect(report.topPaths).toEqual(naive.topPaths)
        expect(report.topCountries).toEqual(naive.topCountries)
        expect(report.complete).toBe(false)
      }),
      { numRuns: 150 }
    )
  })

  it("given daily buckets summed from hourly ones, then they equal the buckets rolled up by day (late records included)", () => {
    fc.assert(
      fc.property(records, (all) => {
        const byDay = new Map<number, TrafficCounters>()
        for (const { start, counters } of rollUp(all, floorHour)) {
          const day = floorDay(start)
          const before = byDay.get(day)
          byDay.set(day, before === undefined ? counters : addCounters(before, counters))
        }
        const direct = new Map(rollUp(all, floorDay).map(({ start, counters }) => [start, counters]))
        expect(new Map([...byDay].sort(([a], [b]) => a - b))).toEqual(
          new Map([...direct].sort(([a], [b]) => a - b))
        )
      })
    )
  })

  it("given any range within the bounds, then bandwidth-daily has one zero-filled point per day equal to the naive sums", () => {
    fc.assert(
      fc.property(
        records,
        instant,
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 12 }),
        (all, now, back, span) => {
          const today = floorDay(now)
          const to = today - back * dayMillis
          const from = to - span * dayMillis
          const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10)
          const range = Result.getOrThrow(bandwidthRange({ from: iso(from), to: iso(to) }, now))
          expect(range.days).toHaveLength(span + 1)
          expect(bandwidthReport(range, rollUp(all, floorDay)).days).toEqual(naiveDaily(all, range.days))
        }
      )
    )
  })
})

describe("Periods and ranges (UTC)", () => {
  it("given any instant, then each period has its number of buckets, ending with the one holding now", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100 * dayMillis, max: 4_102_444_800_000 }),
        fc.constantFrom(...analyticsPeriods),
        (now, period) => {
          const window = analyticsWindow(period, now)
          const size = window.granularity === "hour" ? hourMillis : dayMillis
          expect(window.buckets).toHaveLength({ "24h": 24, "7d": 7, "30d": 30, "90d": 90 }[period])
          expect(window.from).toBe(window.buckets[0])
          expect(now >= window.to - size && now < window.to).toBe(true)
          window.buckets.forEach((start, index) => {
            expect(start % size).toBe(0)
            if (index > 0) expect(start - window.buckets[index - 1]!).toBe(size)
          })
        }
      )
    )
  })

  it("given any date text, then it parses exactly when it names a calendar day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`
          const real = new Date(Date.UTC(y, m - 1, d))
          const names = m >= 1 && m <= 12 && d >= 1 && real.getUTCMonth() === m - 1 && real.getUTCDate() === d
          expect(parseDate(text) !== undefined).toBe(names)
        }
      )
    )
  })

  it("given bad ranges, then each is refused naming the field: malformed, after today, from after to, over 366 days", () => {
    const now = Date.UTC(2026, 11, 5, 7)
    const errorsOf = (query: { from?: string; to?: string }) =>
      Result.match(bandwidthRange(query, now), { onFailure: (e) => Object.keys(e), onSuccess: () => [] })
    expect(errorsOf({ from: "2026-13-01" })).toEqual(["from"])
    expect(errorsOf({ to: "2026-02-30" })).toEqual(["to"])
    expect(errorsOf({ to: "5 Dec" })).toEqual(["to"])
    expect(errorsOf({ to: "2026-12-06" })).toEqual(["to"])
    expect(errorsOf({ from: "2026-12-05", to: "2026-12-04" })).toEqual(["from"])
    expect(errorsOf({ from: "2025-12-04", to: "2026-12-05" })).toEqual(["to"])
    expect(errorsOf({ from: "2025-12-05", to: "2026-12-05" })).toEqual([])
    const defaults = Result.getOrThrow(bandwidthRange({}, now))
    expect(defaults.days).toHaveLength(30)
    expect(defaults.to).toBe(Date.UTC(2026, 11, 5))
  })

  it("given a month, then usage accepts it up to the current one and refuses malformed or future ones", () => {
    const now = Date.UTC(2026, 11, 31, 23, 59)
    const ok = (p: string | undefined) => Result.isSuccess(usageMonth(p, now))
    expect(Result.getOrThrow(usageMonth(undefined, now))).toEqual({
      label: "2026-12",
      start: Date.UTC(2026, 11, 1),
      end: Date.UTC(2027, 0, 1)
    })
    expect(ok("2026-12")).toBe(true)
    expect(ok("2020-02")).toBe(true)
    for (const bad of [
      "2027-01",
      "2026-13",
      "2026-00",
      "2026-1",
      "26-12",
      "0050-01",
      "2026-12-01",
      " 2026-12"
    ]) {
      expect(ok(bad)).toBe(false)
    }
  })
})

describe("Quota thresholds", () => {
  it("given any usage and limits, then the new crossings are exactly the thresholds reached and not yet recorded", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 300 }),
        fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
        fc.subarray(["2026-12:requests:80", "2026-12:requests:100", "2026-11:requests:80"]),
        (used, limit, recorded) => {
          const crossings = newCrossings(
            "2026-12",
            { requests: used, bytesOut: 0, bytesFromOrigin: 0 },
            { maxRequestsPerMonth: limit, maxBandwidthBytesPerMonth: null },
            new Set(recorded)
          )
          const expected =
            limit === null
              ? []
              : ([80, 100] as const).filter(
                  (t) => used / limit >= t / 100 && !recorded.includes(crossingKey("2026-12", "requests", t))
                )
          expect(crossings.map((c) => c.threshold)).toEqual(expected)
        }
      )
    )
  })
})
