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
