import { Context, type Effect } from "effect"
import type { CacheOutcome, RequestLogRecord, StatusClass, Surface } from "../../domain/edge/requestLog.ts"

/**
 * Request logs: telemetry the edges ship, not events. They live in a database of their own
 * (the logs database), partitioned by day, with hourly and daily rollups per tenant kept in
 * the same transaction as each insert, so analytics read the rollups and never raw rows.
 */

/** What one ingested batch did. Records the caller already refused never reach the port. */
export interface IngestOutcome {
  /** Records stored now. */
  readonly accepted: number
  /** Records whose id was already stored (or repeated within the batch): not stored again. */
  readonly duplicate: number
  /** The batch id was seen before: nothing was stored, every record counts as a duplicate. */
  readonly batchSeen: boolean
}

/** A stored record as `GET …/logs` answers it (the record without `tenantId`). */
export type StoredRequestLog = Omit<RequestLogRecord, "tenantId">

/** Where a page starts: strictly after (older than) this record in newest-first order. */
export interface LogCursor {
  readonly ts: string
  readonly id: string
}

export interface LogFilter {
  /** One status code, or a class (`5xx`). */
  readonly status?: { readonly code: number } | { readonly class: StatusClass } | undefined
  readonly cache?: CacheOutcome | undefined
  readonly surface?: Surface | undefined
  readonly method?: string | undefined
  /** Paths starting with this text (no wildcards: `%` and `_` are literal). */
  readonly pathPrefix?: string | undefined
  /** Inclusive lower bound of `ts`. */
  readonly from?: Date | undefined
  /** Inclusive upper bound of `ts`. */
  readonly to?: Date | undefined
}

export interface LogPage {
  readonly logs: ReadonlyArray<StoredRequestLog>
  /** Set when older records match: the cursor of the page's last record. */
  readonly next: LogCursor | undefined
}

export type Granularity = "hour" | "day"

/** One rollup row: a tenant's traffic on one surface in one hour or day (UTC). */
export interface RollupRow {
  readonly tenantId: string
  /** Start of the hour or day, ISO 8601 (UTC). */
  readonly bucket: string
  readonly surface: Surface
  readonly requests: number
  readonly hits: number
  readonly misses: number
  readonly bypasses: number
  readonly bytesOut: number
  readonly bytesFromOrigin: number
  readonly status: Readonly<Record<StatusClass, number>>
  /** Counts per latency bucket of `durationMs` (domain/edge/requestLog.ts latencyBucketBounds). */
  readonly latency: ReadonlyArray<number>
}

export interface RollupRange {
  readonly tenantIds: ReadonlyArray<string>
  readonly granularity: Granularity
  /** Inclusive: buckets starting at or after it. */
  readonly from: Date
  /** Exclusive: buckets starting before it. */
  readonly to: Date
}

export interface PathCount {
  readonly path: string
  readonly requests: number
  readonly bytesOut: number
}

export interface CountryCount {
  /** Two letters, or null for records without a country. */
  readonly country: string | null
  readonly requests: number
}

export interface PartitionMaintenance {
  /** Partitions (days, UTC) created ahead. */
  readonly created: ReadonlyArray<string>
  /** Partitions dropped as older than retention. */
  readonly dropped: ReadonlyArray<string>
}

export class RequestLogs extends Context.Service<
  RequestLogs,
  {
    /**
     * Stores the records of one batch in one transaction with their rollups. A batch id seen
     * before stores nothing; a record id already stored is not stored again. The records'
     * days get their partitions first when missing.
     */
    readonly ingest: (input: {
      readonly batchId: string | undefined
      readonly records: ReadonlyArray<RequestLogRecord>
    }) => Effect.Effect<IngestOutcome>
    /** A tenant's records, newest first (ts, then id), after the cursor. */
    readonly page: (input: {
      readonly tenantId: string
      readonly filter: LogFilter
      readonly cursor: LogCursor | undefined
      readonly limit: number
    }) => Effect.Effect<LogPage>
    /** Rollup rows of these tenants in [from, to), one per tenant, bucket and surface, oldest first. */
    readonly rollups: (range: RollupRange) => Effect.Effect<ReadonlyArray<RollupRow>>
    /** The paths with the most requests in [from, to), most first. */
    readonly topPaths: (range: RollupRange, limit: number) => Effect.Effect<ReadonlyArray<PathCount>>
    /** The countries with the most requests in [from, to), most first. */
    readonly topCountries: (range: RollupRange, limit: number) => Effect.Effect<ReadonlyArray<CountryCount>>
    /**
     * Partition upkeep at `now`: every day from `retentionDays` ago to `aheadDays` ahead has its
     * partition; partitions wholly older than retention are dropped, with the record ids and
     * batch ids kept for deduplication over that time.
     */
    readonly maintain: (input: {
      readonly now: Date
      readonly retentionDays: number
      readonly aheadDays: number
    }) => Effect.Effect<PartitionMaintenance>
  }
>()("tenantry/application/ports/RequestLogs") {}
