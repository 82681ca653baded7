import { Result } from "effect"
import {
  dayMillis,
  daysBetween,
  floorDay,
  floorHour,
  hourMillis,
  isoDate,
  type Month,
  monthAt,
  monthOf
} from "./time.ts"

/** Field → sentences, as a 400 `validation_failed` reports them. */
export type QueryErrors = Readonly<Record<string, ReadonlyArray<string>>>

export const analyticsPeriods = ["24h", "7d", "30d", "90d"] as const
export type AnalyticsPeriod = (typeof analyticsPeriods)[number]
export const defaultAnalyticsPeriod: AnalyticsPeriod = "7d"

export type Granularity = "hour" | "day"

/**
 * The buckets an analytics period covers: 24 hours, or 7/30/90 days, ending with the one
 * holding `now` (still open). `from` is the first bucket's start, `to` the last one's end.
 */
export interface AnalyticsWindow {
  readonly period: AnalyticsPeriod
  readonly granularity: Granularity
  readonly buckets: ReadonlyArray<number>
  readonly from: number
  readonly to: number
}

const bucketCounts: Readonly<Record<AnalyticsPeriod, number>> = { "24h": 24, "7d": 7, "30d": 30, "90d": 90 }

export const analyticsWindow = (period: AnalyticsPeriod, now: number): AnalyticsWindow => {
  const granularity: Granularity = period === "24h" ? "hour" : "day"
  const size = granularity === "hour" ? hourMillis : dayMillis
  const last = granularity === "hour" ? floorHour(now) : floorDay(now)
  const count = bucketCounts[period]
  const buckets = Array.from({ length: count }, (_, index) => last - (count - 1 - index) * size)
  return { period, granularity, buckets, from: buckets[0]!, to: last + size }
}

/** The UTC days an analytics window touches (for the per-day top-k tables). */
export const windowDays = (window: AnalyticsWindow): { readonly from: number; readonly to: number } => ({
  from: floorDay(window.from),
  to: floorDay(window.to - 1) + dayMillis
})

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

/** A calendar date `YYYY-MM-DD` (UTC day start), or undefined when it names no day. */
export const parseDate = (text: string): number | undefined => {
  const match = datePattern.exec(text)
  if (match === null) return undefined
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return isoDate(ms) === text ? ms : undefined
}

export const maxBandwidthDays = 366
export const defaultBandwidthDays = 30

/** A range of whole UTC days, `from` and `to` both included. */
export interface DayRange {
  readonly from: number
  readonly to: number
  readonly days: ReadonlyArray<number>
}

/**
 * `bandwidth-daily`'s range: default the 30 days ending today; a bound left out is taken
 * from the other (`to` today, `from` 29 days before `to`). Refused: a malformed date, a day
 * after today, `from` after `to`, more than 366 days.
 */
export const bandwidthRange = (
  query: { readonly from?: string | undefined; readonly to?: string | undefined },
  now: number
): Result.Result<DayRange, QueryErrors> => {
  const today = floorDay(now)
  const errors: Record<string, Array<string>> = {}
  const parse = (field: "from" | "to"): number | undefined => {
    const text = query[field]
    if (text === undefined) return undefined
    const day = parseDate(text)
    if (day === undefined) errors[field] = ["must be a date YYYY-MM-DD"]
    else if (day > today) errors[field] = [`must not be after today (${isoDate(today)}, UTC)`]
    return day
  }
  const parsedFrom = parse("from")
  const parsedTo = parse("to")
  if (Object.keys(errors).length > 0) return Result.fail(errors)
  const to = parsedTo ?? today
  const from = parsedFrom ?? to - (defaultBandwidthDays - 1) * dayMillis
  if (from > to) return Result.fail({ from: ["must not be after to"] })
  const count = (to - from) / dayMillis + 1
  if (count > maxBandwidthDays) {
    return Result.fail({ to: [`the range must span at most ${maxBandwidthDays} days (it spans ${count})`] })
  }
  return Result.succeed({ from, to, days: daysBetween(from, to + dayMillis) })
}

const monthPattern = /^(\d{4})-(\d{2})$/

/** `usage`'s month: default the current UTC month; a malformed one or one after it is refused. */
export const usageMonth = (period: string | undefined, now: number): Result.Result<Month, QueryErrors> => {
  const current = monthAt(now)
  if (period === undefined) return Result.succeed(current)
  const match = monthPattern.exec(period)
  const monthNumber = match === null ? 0 : Number(match[2])
  if (match === null || monthNumber < 1 || monthNumber > 12) {
    return Result.fail({ period: ["must be a month YYYY-MM"] })
  }
  const month = monthOf(Number(match[1]), monthNumber - 1)
  // Date.UTC reads the years 0–99 as 1900–1999: such a month names another.
  if (month.label !== period) return Result.fail({ period: ["must be a month YYYY-MM"] })
  if (month.start > current.start) {
    return Result.fail({ period: [`must not be after the current month (${current.label}, UTC)`] })
  }
  return Result.succeed(month)
}
