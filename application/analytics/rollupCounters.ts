import { type Bucket, sumCounters, type TrafficCounters, zeroCounters } from "../../domain/analytics/index.ts"
import type { RollupRow } from "../ports/RequestLogs.ts"

/** A rollup row (one tenant, bucket and surface) as the counters the analytics sum. */
export const countersOfRow = (row: RollupRow): TrafficCounters => {
  const zero = zeroCounters()
  return {
    requests: row.requests,
    cacheHits: row.hits,
    cacheMisses: row.misses,
    cacheBypasses: row.bypasses,
    bytesOut: row.bytesOut,
    bytesFromOrigin: row.bytesFromOrigin,
    status: {
      "2xx": row.status["2xx"],
      "3xx": row.status["3xx"],
      "4xx": row.status["4xx"],
      "5xx": row.status["5xx"]
    },
    latency: row.latency,
    surfaces: { ...zero.surfaces, [row.surface]: { requests: row.requests, bytesOut: row.bytesOut } }
  }
}

/** Rows of one tenant summed per bucket start (surfaces merged). */
export const bucketsOf = (rows: ReadonlyArray<RollupRow>): ReadonlyArray<Bucket> => {
  const byStart = new Map<number, Array<TrafficCounters>>()
  for (const row of rows) {
    const start = Date.parse(row.bucket)
    const list = byStart.get(start) ?? []
    list.push(countersOfRow(row))
    byStart.set(start, list)
  }
  return [...byStart].map(([start, list]) => ({ start, counters: sumCounters(list) }))
}
