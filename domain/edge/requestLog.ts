import { Schema } from "effect"
import { Instant, TenantId } from "../shared/ids.ts"

/** How a request was served: from the edge's cache, fetched and cached, or passed through. */
export const CacheOutcome = Schema.Literals(["HIT", "MISS", "BYPASS"])
export type CacheOutcome = typeof CacheOutcome.Type

/** Which of a tenant's surfaces answered: its website, its API proxy, its CMS assets. */
export const Surface = Schema.Literals(["site", "api", "assets"])
export type Surface = typeof Surface.Type

const Count = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))
const Millis = Schema.Number.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/**
 * One request an edge served (CONTRACT.md, Request logs): what edges ship to
 * `POST /api/edge/logs` as NDJSON, one record a line, and what `GET …/logs` answers
 * (without `tenantId`). Telemetry, not an event: it has its own store.
 */
export const RequestLogRecord = Schema.Struct({
  /** Unique per record: a retried batch never stores one twice. */
  id: Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9_.:-]{1,128}$/))),
  ts: Instant,
  tenantId: TenantId,
  slug: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(63))),
  host: Schema.String.pipe(Schema.check(Schema.isMinLength(1), Schema.isMaxLength(253))),
  method: Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{1,16}$/))),
  /** Without the query string. */
  path: Schema.String.pipe(Schema.check(Schema.isPattern(/^\//), Schema.isMaxLength(2048))),
  status: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 100, maximum: 599 }))),
  cache: CacheOutcome,
  surface: Surface,
  bytesOut: Count,
  bytesFromOrigin: Count,
  durationMs: Millis,
  /** Null on a HIT: the origin was not asked. */
  originMs: Schema.NullOr(Millis),
  /** ISO 3166 alpha-2, or null when unknown. */
  country: Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/)))),
  userAgent: Schema.NullOr(Schema.String.pipe(Schema.check(Schema.isMaxLength(256))))
})
export type RequestLogRecord = typeof RequestLogRecord.Type

/**
 * Upper bounds (ms, inclusive) of the latency histogram the rollups keep of `durationMs`:
 * bucket i counts records with bounds[i-1] < durationMs <= bounds[i]; the last bucket counts
 * everything above the last bound. Buckets merge by addition (hours into days, days into
 * periods), so percentiles over any span come from the rollups alone.
 */
export const latencyBucketBounds: ReadonlyArray<number> = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
]

/** How many buckets the histogram has: one per bound, plus the one above the last. */
export const latencyBucketCount = latencyBucketBounds.length + 1

/** The histogram bucket of a duration (see latencyBucketBounds). */
export const latencyBucket = (durationMs: number): number => {
  for (let index = 0; index < latencyBucketBounds.length; index++) {
    if (durationMs <= (latencyBucketBounds[index] as number)) return index
  }
  return latencyBucketBounds.length
}

/** `"2xx"` for 204: the status classes the rollups and the `status` filter speak. */
export const StatusClass = Schema.Literals(["1xx", "2xx", "3xx", "4xx", "5xx"])
export type StatusClass = typeof StatusClass.Type
export const statusClass = (status: number): StatusClass => `${Math.floor(status / 100)}xx` as StatusClass
