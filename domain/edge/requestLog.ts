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

const recordIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/
const tenantIdPattern = /^tnt_[0-9a-z]{10,40}$/
const methodPattern = /^[A-Z]{1,16}$/
const countryPattern = /^[A-Z]{2}$/

const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0
const isMillis = (value: unknown) => typeof value === "number" && value >= 0
const isText = (value: unknown, min: number, max: number) =>
  typeof value === "string" && value.length >= min && value.length <= max

/**
 * The record's rules written out by hand, for ingestion's hot path (Schema decoding costs
 * several microseconds a record): a value passing this check passes `RequestLogRecord` too,
 * and this returns the record with only its own fields. Anything it refuses goes through the
 * Schema, which says why (or accepts it, were this ever stricter). A property test holds the
 * two together (tests/property/requestLogRecord.test.ts).
 */
export const fastRequestLogRecord = (value: unknown): RequestLogRecord | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const v = value as Record<string, unknown>
  const { id, ts, tenantId, slug, host, method, path, status, cache, surface } = v
  const { bytesOut, bytesFromOrigin, durationMs, originMs, country, userAgent } = v
  if (typeof id !== "string" || !recordIdPattern.test(id)) return undefined
  if (typeof ts !== "string" || !instantPattern.test(ts)) return undefined
  if (typeof tenantId !== "string" || !tenantIdPattern.test(tenantId)) return undefined
  if (!isText(slug, 1, 63) || !isText(host, 1, 253)) return undefined
  if (typeof method !== "string" || !methodPattern.test(method)) return undefined
  if (typeof path !== "string" || path.length > 2048 || path[0] !== "/") return undefined
  if (!Number.isSafeInteger(status) || (status as number) < 100 || (status as number) > 599) return undefined
  if (cache !== "HIT" && cache !== "MISS" && cache !== "BYPASS") return undefined
  if (surface !== "site" && surface !== "api" && surface !== "assets") return undefined
  if (!isCount(bytesOut) || !isCount(bytesFromOrigin) || !isMillis(durationMs)) return undefined
  if (originMs !== null && !isMillis(originMs)) return undefined
  if (country !== null && (typeof country !== "string" || !countryPattern.test(country))) return undefined
  if (userAgent !== null && !isText(userAgent, 0, 256)) return undefined
  return {
    id,
    ts,
    tenantId: tenantId as TenantId,
    slug: slug as string,
    host: host as string,
    method,
    path,
    status: status as number,
    cache,
    surface,
    bytesOut: bytesOut as number,
    bytesFromOrigin: bytesFromOrigin as number,
    durationMs: durationMs as number,
    originMs: originMs as number | null,
    country: country as string | null,
    userAgent: userAgent as string | null
  }
}
