import { latencyBucketBounds } from "../edge/requestLog.ts"

/**
 * The latency histogram the rollups keep: fixed buckets of `durationMs`, so two histograms
 * merge by adding their counts (hours into days, days into a period), and a percentile is
 * read from the merged counts without any raw record.
 *
 * Bucket `i` counts durations `d` with `bounds[i-1] < d <= bounds[i]`; the last bucket counts
 * everything above the last bound.
 */
export const latencyBoundsMs: ReadonlyArray<number> = latencyBucketBounds

/** How many buckets a histogram has: one per bound and one for everything above. */
export const latencyBucketCount = latencyBoundsMs.length + 1

export const latencyBucketOf = (durationMs: number): number => {
  for (let index = 0; index < latencyBoundsMs.length; index++) {
    if (durationMs <= latencyBoundsMs[index]!) return index
  }
  return latencyBoundsMs.length
}

export const emptyHistogram = (): Array<number> => Array.from({ length: latencyBucketCount }, () => 0)

/** Adds `more` into `into`, bucket by bucket (the merge). */
export const addHistogram = (into: Array<number>, more: ReadonlyArray<number>): void => {
  for (let index = 0; index < latencyBucketCount; index++) into[index]! += more[index] ?? 0
}

/**
 * The `percent`-th percentile (an integer 1..100) by nearest rank, read as the upper bound of the bucket that
 * holds it: the smallest bound at least as large as the rank's duration. Above the last
 * bound it is that bound (a floor: "at least 30 s"). Null for an empty histogram.
 */
export const histogramPercentile = (counts: ReadonlyArray<number>, percent: number): number | null => {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total === 0) return null
  // Integers throughout: 0.95 * 60 is 57.00000000000001 in floating point.
  const rank = Math.max(1, Math.ceil((percent * total) / 100))
  let seen = 0
  for (let index = 0; index < counts.length; index++) {
    seen += counts[index]!
    if (seen >= rank) return latencyBoundsMs[Math.min(index, latencyBoundsMs.length - 1)]!
  }
  return latencyBoundsMs[latencyBoundsMs.length - 1]!
}
