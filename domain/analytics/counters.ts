import type { CacheOutcome, Surface } from "../edge/requestLog.ts"
import { addHistogram, emptyHistogram, latencyBucketOf } from "./latency.ts"

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx"
export const statusClasses: ReadonlyArray<StatusClass> = ["2xx", "3xx", "4xx", "5xx"]
export const surfaces: ReadonlyArray<Surface> = ["site", "api", "assets"]

/** The class of a status code; 1xx answers count as requests but in no class. */
export const statusClassOf = (status: number): StatusClass | null =>
  status >= 200 && status < 600 ? (`${Math.floor(status / 100)}xx` as StatusClass) : null

/**
 * What a rollup bucket knows: every figure the analytics answer, each a sum over the
 * records of the bucket, so buckets merge by addition (hours into days, days into months).
 */
export interface TrafficCounters {
  readonly requests: number
  readonly cacheHits: number
  readonly cacheMisses: number
  readonly cacheBypasses: number
  readonly bytesOut: number
  readonly bytesFromOrigin: number
  readonly status: Readonly<Record<StatusClass, number>>
  /** Counts per latency bucket (latency.ts). */
  readonly latency: ReadonlyArray<number>
  readonly surfaces: Readonly<Record<Surface, { readonly requests: number; readonly bytesOut: number }>>
}

export const zeroCounters = (): TrafficCounters => ({
  requests: 0,
  cacheHits: 0,
  cacheMisses: 0,
  cacheBypasses: 0,
  bytesOut: 0,
  bytesFromOrigin: 0,
  status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
  latency: emptyHistogram(),
  surfaces: {
    site: { requests: 0, bytesOut: 0 },
    api: { requests: 0, bytesOut: 0 },
    assets: { requests: 0, bytesOut: 0 }
  }
})

export const addCounters = (a: TrafficCounters, b: TrafficCounters): TrafficCounters => {
  const latency = [...a.latency]
  addHistogram(latency, b.latency)
  return {
    requests: a.requests + b.requests,
    cacheHits: a.cacheHits + b.cacheHits,
    cacheMisses: a.cacheMisses + b.cacheMisses,
    cacheBypasses: a.cacheBypasses + b.cacheBypasses,
    bytesOut: a.bytesOut + b.bytesOut,
    bytesFromOrigin: a.bytesFromOrigin + b.bytesFromOrigin,
    status: {
      "2xx": a.status["2xx"] + b.status["2xx"],
      "3xx": a.status["3xx"] + b.status["3xx"],
      "4xx": a.status["4xx"] + b.status["4xx"],
      "5xx": a.status["5xx"] + b.status["5xx"]
    },
    latency,
    surfaces: {
      site: plus(a.surfaces.site, b.surfaces.site),
      api: plus(a.surfaces.api, b.surfaces.api),
      assets: plus(a.surfaces.assets, b.surfaces.assets)
    }
  }
}

const plus = (
  a: { readonly requests: number; readonly bytesOut: number },
  b: { readonly requests: number; readonly bytesOut: number }
) => ({ requests: a.requests + b.requests, bytesOut: a.bytesOut + b.bytesOut })

export const sumCounters = (all: Iterable<TrafficCounters>): TrafficCounters => {
  let sum = zeroCounters()
  for (const counters of all) sum = addCounters(sum, counters)
  return sum
}

/** The fields of a request log record the counters read. */
export interface CountedRecord {
  readonly status: number
  readonly cache: CacheOutcome
  readonly surface: Surface
  readonly bytesOut: number
  readonly bytesFromOrigin: number
  readonly durationMs: number
}

/** What one record adds to its bucket. */
export const countersOf = (record: CountedRecord): TrafficCounters => {
  const counters = zeroCounters()
  const statusClass = statusClassOf(record.status)
  const latency = emptyHistogram()
  latency[latencyBucketOf(record.durationMs)] = 1
  return {
    ...counters,
    requests: 1,
    cacheHits: record.cache === "HIT" ? 1 : 0,
    cacheMisses: record.cache === "MISS" ? 1 : 0,
    cacheBypasses: record.cache === "BYPASS" ? 1 : 0,
    bytesOut: record.bytesOut,
    bytesFromOrigin: record.bytesFromOrigin,
    status: statusClass === null ? counters.status : { ...counters.status, [statusClass]: 1 },
    latency,
    surfaces: { ...counters.surfaces, [record.surface]: { requests: 1, bytesOut: record.bytesOut } }
  }
}

/** hits / (hits + misses); bypasses are not cacheable, so they do not count. Null when both are 0. */
export const hitRatio = (counters: Pick<TrafficCounters, "cacheHits" | "cacheMisses">): number | null => {
  const cacheable = counters.cacheHits + counters.cacheMisses
  return cacheable === 0 ? null : counters.cacheHits / cacheable
}

/** What the cache spared the origin: max(0, bytesOut − bytesFromOrigin). */
export const bytesSaved = (counters: Pick<TrafficCounters, "bytesOut" | "bytesFromOrigin">): number =>
  Math.max(0, counters.bytesOut - counters.bytesFromOrigin)
