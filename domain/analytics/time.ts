/**
 * UTC time arithmetic for analytics: instants are epoch milliseconds, buckets start on a
 * UTC hour or day, months on the first UTC day. Pure; no clock is read here.
 */

export const hourMillis = 3_600_000
export const dayMillis = 86_400_000

export const floorHour = (ms: number): number => Math.floor(ms / hourMillis) * hourMillis
export const floorDay = (ms: number): number => Math.floor(ms / dayMillis) * dayMillis

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** ISO 8601 UTC, millisecond precision. */
export const isoInstant = (ms: number): string => new Date(ms).toISOString()

/** A UTC month: its label and its `[start, end)`. */
export interface Month {
  readonly label: string
  readonly start: number
  readonly end: number
}

export const monthOf = (year: number, monthIndex: number): Month => {
  const start = Date.UTC(year, monthIndex, 1)
  const date = new Date(start)
  const label = `${String(date.getUTCFullYear()).padStart(4, "0")}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`
  return { label, start, end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) }
}

/** The UTC month holding `ms`. */
export const monthAt = (ms: number): Month => {
  const date = new Date(ms)
  return monthOf(date.getUTCFullYear(), date.getUTCMonth())
}

export const previousMonth = (month: Month): Month => monthAt(month.start - 1)

/** The start of each UTC day in `[from, to)`, both day starts. */
export const daysBetween = (from: number, to: number): ReadonlyArray<number> => {
  const days: Array<number> = []
  for (let day = from; day < to; day += dayMillis) days.push(day)
  return days
}
