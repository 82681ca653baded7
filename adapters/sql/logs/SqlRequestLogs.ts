import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import {
  type CountryCount,
  type LogFilter,
  type PathCount,
  RequestLogs,
  type RollupRange,
  type RollupRow,
  type StoredRequestLog
} from "../../../application/ports/RequestLogs.ts"
import {
  latencyBucketBounds,
  latencyBucketCount,
  type RequestLogRecord,
  type StatusClass
} from "../../../domain/edge/requestLog.ts"
import { LogsSql } from "./LogsDatabase.ts"
import {
  createPartition,
  daysBetween,
  dropPartitionsBefore,
  existingPartitions,
  utcDay
} from "./partitions.ts"
import { topPathsUpsert } from "./topK.ts"

const statusClasses: ReadonlyArray<StatusClass> = ["1xx", "2xx", "3xx", "4xx", "5xx"]
const latencyIndexes = Array.from({ length: latencyBucketCount }, (_, index) => index)

export const counterColumns = [
  "requests",
  "hits",
  "misses",
  "bypasses",
  "bytes_out",
  "bytes_from_origin",
  ...statusClasses.map((c) => `status_${c}`),
  ...latencyIndexes.map((i) => `latency_${i}`)
]

/** The aggregate of each counter column over `stored` rows, in counterColumns' order. */
export const counterAggregates = [
  "count(*)",
  "count(*) FILTER (WHERE cache = 'HIT')",
  "count(*) FILTER (WHERE cache = 'MISS')",
  "count(*) FILTER (WHERE cache = 'BYPASS')",
  "sum(bytes_out)",
  "sum(bytes_from_origin)",
  ...statusClasses.map((_, index) => `count(*) FILTER (WHERE status / 100 = ${index + 1})`),
  ...latencyIndexes.map((index) => {
    const above = index === 0 ? undefined : latencyBucketBounds[index - 1]
    const upTo = latencyBucketBounds[index]
    const conditions = [
      ...(above === undefined ? [] : [`duration_ms > ${above}`]),
      ...(upTo === undefined ? [] : [`duration_ms <= ${upTo}`])
    ]
    return conditions.length === 0 ? "count(*)" : `count(*) FILTER (WHERE ${conditions.join(" AND ")})`
  })
]

const addAll = (table: string, columns: ReadonlyArray<string>) =>
  columns.map((column) => `${column} = ${table}.${column} + excluded.${column}`).join(", ")

const hourOf = "date_trunc('hour', ts, 'UTC')"
const dayOf = "(ts AT TIME ZONE 'UTC')::date"

const rollupUpsert = (name: string, table: string, bucketColumn: string, bucketExpression: string) => `
  ${name} AS (
    INSERT INTO ${table} (tenant_id, ${bucketColumn}, surface, ${counterColumns.join(", ")})
    SELECT tenant_id, ${bucketExpression}, surface, ${counterAggregates.join(", ")}
    FROM stored GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, ${bucketColumn}, surface) DO UPDATE SET ${addAll(table, counterColumns)}
    RETURNING 1
  )`

const countryUpsert = (name: string, table: string, bucketColumn: string, bucketExpression: string) => `
  ${name} AS (
    INSERT INTO ${table} (tenant_id, ${bucketColumn}, country, requests)
    SELECT tenant_id, ${bucketExpression}, coalesce(country, ''), count(*)
    FROM stored GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, ${bucketColumn}, country) DO UPDATE SET ${addAll(table, ["requests"])}
    RETURNING 1
  )`

/**
 * One statement stores a batch: the new ids claim their rows in `request_log_ids` (an id
 * already there is a duplicate), only those records go into `request_logs`, and the stored
 * rows are aggregated (GROUP BY: one upsert per rollup row, whatever the batch size) into
 * every rollup table. Data-modifying CTEs run exactly once each, in one snapshot: a single
 * statement is its own transaction. Every insert takes its rows in key order, so two batches
 * racing over the same ids or rollup rows lock them in the same order and never deadlock.
 */
const ingestStatement = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
      id text, ts timestamptz, "tenantId" text, slug text, host text, method text, path text,
      status int, cache text, surface text, "bytesOut" bigint, "bytesFromOrigin" bigint,
      "durationMs" float8, "originMs" float8, country text, "userAgent" text)
  ),
  fresh AS (
    INSERT INTO request_log_ids (id, day)
    SELECT id, (ts AT TIME ZONE 'UTC')::date FROM input ORDER BY id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ),
  stored AS (
    INSERT INTO request_logs (tenant_id, ts, id, slug, host, method, path, status, cache, surface,
      bytes_out, bytes_from_origin, duration_ms, origin_ms, country, user_agent)
    SELECT i."tenantId", i.ts, i.id, i.slug, i.host, i.method, i.path, i.status, i.cache, i.surface,
      i."bytesOut", i."bytesFromOrigin", i."durationMs", i."originMs", i.country, i."userAgent"
    FROM input i JOIN fresh f ON f.id = i.id
    RETURNING tenant_id, ts, path, status, cache, surface, bytes_out, bytes_from_origin, duration_ms, country
  ),
  ${rollupUpsert("hourly", "request_rollups_hourly", "hour", hourOf)},
  ${rollupUpsert("daily", "request_rollups_daily", "day", dayOf)},
  ${topPathsUpsert()},
  ${countryUpsert("countries_hourly", "request_country_rollups_hourly", "hour", hourOf)},
  ${countryUpsert("countries_daily", "request_country_rollups_daily", "day", dayOf)}
  SELECT (SELECT count(*) FROM fresh)::int AS accepted`

interface LogRow {
  readonly id: string
  readonly ts: Date | string
  readonly slug: string
  readonly host: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly cache: string
  readonly surface: string
  readonly bytes_out: string | number
  readonly bytes_from_origin: string | number
  readonly duration_ms: number
  readonly origin_ms: number | null
  readonly country: string | null
  readonly user_agent: string | null
}

const isoOf = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString()

const toStored = (row: LogRow): StoredRequestLog => ({
  id: row.id,
  ts: isoOf(row.ts),
  slug: row.slug,
  host: row.host,
  method: row.method,
  path: row.path,
  status: Number(row.status),
  cache: row.cache as StoredRequestLog["cache"],
  surface: row.surface as StoredRequestLog["surface"],
  bytesOut: Number(row.bytes_out),
  bytesFromOrigin: Number(row.bytes_from_origin),
  durationMs: Number(row.duration_ms),
  originMs: row.origin_ms === null ? null : Number(row.origin_ms),
  country: row.country,
  userAgent: row.user_agent
})

/** `LIKE` pattern of a literal prefix. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** A missing partition (or one dropped behind this process's back): SQLSTATE 23514. */
const isNoPartition = (error: unknown) => {
  const text = `${JSON.stringify(error)} ${String(error)}`
  return text.includes("no partition of relation") || text.includes("23514")
}

/** Only the fields of the record, in a plain object: nothing else reaches the statement. */
const recordJson = (record: RequestLogRecord) => ({
  id: record.id,
  ts: record.ts,
  tenantId: record.tenantId,
  slug: record.slug,
  host: record.host,
  method: record.method,
  path: record.path,
  status: record.status,
  cache: record.cache,
  surface: record.surface,
  bytesOut: record.bytesOut,
  bytesFromOrigin: record.bytesFromOrigin,
  durationMs: record.durationMs,
  originMs: record.originMs,
  country: record.country,
  userAgent: record.userAgent
})

export const make = (sql: SqlClient.SqlClient) =>
  Effect.gen(function* () {
    /** Days whose partition this process knows to exist. */
    const known = new Set(yield* existingPartitions(sql))

    const ensureDays = (days: Iterable<string>) =>
      Effect.forEach(
        [...new Set(days)].filter((day) => !known.has(day)),
        (day) => Effect.tap(createPartition(sql, day), () => Effect.sync(() => known.add(day))),
        { discard: true }
      )

    const store = (records: ReadonlyArray<RequestLogRecord>, json: string) =>
      Effect.gen(function* () {
        yield* ensureDays(records.map((record) => record.ts.slice(0, 10)))
        const rows = yield* sql.unsafe<{ readonly accepted: number }>(ingestStatement, [json])
        return Number(rows[0]?.accepted ?? 0)
      })

    const ingest = Effect.fn("RequestLogs.ingest")(function* (input: {
      readonly batchId: string | undefined
      readonly records: ReadonlyArray<RequestLogRecord>
    }) {
      // One record per id: the first of the batch wins, the rest are duplicates.
      const unique = new Map<string, RequestLogRecord>()
      for (const record of input.records) {
        if (!unique.has(record.id))
          unique.set(record.id, { ...record, ts: new Date(record.ts).toISOString() })
      }
      const records = [...unique.values()]
      const json = JSON.stringify(records.map(recordJson))
      const run = Effect.gen(function* () {
        if (input.batchId !== undefined) {
          const claimed = yield* sql<{ readonly batch_id: string }>`
            INSERT INTO ingested_batches (batch_id) VALUES (${input.batchId})
            ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id`
          if (claimed.length === 0) return { accepted: 0, duplicate: input.records.length, batchSeen: true }
        }
        const accepted = records.length === 0 ? 0 : yield* store(records, json)
        return { accepted, duplicate: input.records.length - accepted, batchSeen: false }
      })
      const once = input.batchId === undefined ? run : sql.withTransaction(run)
      return yield* once.pipe(
        Effect.catchIf(isNoPartition, () =>
          // A partition dropped behind this process's back: learn them again and retry once.
          Effect.sync(() => known.clear()).pipe(
            Effect.andThen(existingPartitions(sql)),
            Effect.tap((days) =>
              Effect.sync(() => {
                for (const day of days) known.add(day)
              })
            ),
            Effect.andThen(once)
          )
        ),
        Effect.orDie
      )
    })

    const page = Effect.fn("RequestLogs.page")(function* (input: {
      readonly tenantId: string
      readonly filter: LogFilter
      readonly cursor: { readonly ts: string; readonly id: string } | undefined
      readonly limit: number
    }) {
      const { filter } = input
      const conditions = [sql`tenant_id = ${input.tenantId}`]
      if (filter.status !== undefined) {
        conditions.push(
          "code" in filter.status
            ? sql`status = ${filter.status.code}`
            : sql`status >= ${Number(filter.status.class[0]) * 100} AND status < ${Number(filter.status.class[0]) * 100 + 100}`
        )
      }
      if (filter.cache !== undefined) conditions.push(sql`cache = ${filter.cache}`)
      if (filter.surface !== undefined) conditions.push(sql`surface = ${filter.surface}`)
      if (filter.method !== undefined) conditions.push(sql`method = ${filter.method}`)
      if (filter.pathPrefix !== undefined) conditions.push(sql`path LIKE ${likePrefix(filter.pathPrefix)}`)
      if (filter.from !== undefined) conditions.push(sql`ts >= ${filter.from.toISOString()}::timestamptz`)
      if (filter.to !== undefined) conditions.push(sql`ts <= ${filter.to.toISOString()}::timestamptz`)
      if (input.cursor !== undefined) {
        // The row comparison walks the keyset; the bare bound on ts lets the planner prune the
        // day partitions newer than the cursor, which a row comparison does not.
        conditions.push(sql`ts <= ${input.cursor.ts}::timestamptz`)
        conditions.push(sql`(ts, id) < (${input.cursor.ts}::timestamptz, ${input.cursor.id})`)
      }
      const rows = yield* sql<LogRow>`
        SELECT id, ts, slug, host, method, path, status, cache, surface, bytes_out, bytes_from_origin,
          duration_ms, origin_ms, country, user_agent
        FROM request_logs WHERE ${sql.and(conditions)}
        ORDER BY ts DESC, id DESC LIMIT ${input.limit + 1}`.pipe(Effect.orDie)
      const logs = rows.slice(0, input.limit).map(toStored)
      const last = logs.at(-1)
      return {
        logs,
        next: rows.length > input.limit && last !== undefined ? { ts: last.ts, id: last.id } : undefined
      }
    })

    const bucketOf = (range: RollupRange) =>
      range.granularity === "hour"
        ? {
            column: "hour",
            from: sql`${range.from.toISOString()}::timestamptz`,
            to: sql`${range.to.toISOString()}::timestamptz`
          }
        : { column: "day", from: sql`${utcDay(range.from)}::date`, to: sql`${utcDay(range.to)}::date` }

    const rollups = Effect.fn("RequestLogs.rollups")(function* (range: RollupRange) {
      if (range.tenantIds.length === 0) return []
      const bucket = bucketOf(range)
      const table = range.granularity === "hour" ? "request_rollups_hourly" : "request_rollups_daily"
      const rows = yield* sql<Record<string, unknown>>`
        SELECT tenant_id, ${sql.literal(bucket.column)} AS bucket, surface,
          ${sql.literal(counterColumns.map((column) => `${column}::float8 AS ${column}`).join(", "))}
        FROM ${sql(table)}
        WHERE tenant_id IN ${sql.in(range.tenantIds)}
          AND ${sql(bucket.column)} >= ${bucket.from} AND ${sql(bucket.column)} < ${bucket.to}
        ORDER BY 2, 1, 3`.pipe(Effect.orDie)
      return rows.map(
        (row): RollupRow => ({
          tenantId: String(row.tenant_id),
          bucket:
            range.granularity === "hour"
              ? isoOf(row.bucket as Date | string)
              : `${dateText(row.bucket)}T00:00:00.000Z`,
          surface: row.surface as RollupRow["surface"],
          requests: Number(row.requests),
          hits: Number(row.hits),
          misses: Number(row.misses),
          bypasses: Number(row.bypasses),
          bytesOut: Number(row.bytes_out),
          bytesFromOrigin: Number(row.bytes_from_origin),
          status: {
            "1xx": Number(row.status_1xx),
            "2xx": Number(row.status_2xx),
            "3xx": Number(row.status_3xx),
            "4xx": Number(row.status_4xx),
            "5xx": Number(row.status_5xx)
          },
          latency: latencyIndexes.map((index) => Number(row[`latency_${index}`]))
        })
      )
    })

    const topPaths = Effect.fn("RequestLogs.topPaths")(function* (range: RollupRange, limit: number) {
      if (range.tenantIds.length === 0) return []
      // The per-day top-k table alone (analytics, 0002_top_k): an hourly range reads the UTC
      // days it touches; the "other" row ('') is no path.
      const days = bucketOf({
        ...range,
        granularity: "day",
        to: new Date(Math.ceil(range.to.getTime() / 86_400_000) * 86_400_000)
      })
      const rows = yield* sql<{
        readonly path: string
        readonly requests: number
        readonly bytes_out: number
      }>`
        SELECT path, sum(requests)::float8 AS requests, sum(bytes_out)::float8 AS bytes_out
        FROM request_path_rollups_daily
        WHERE tenant_id IN ${sql.in(range.tenantIds)}
          AND day >= ${days.from} AND day < ${days.to} AND path <> ''
        GROUP BY path ORDER BY 2 DESC, 1 LIMIT ${limit}`.pipe(Effect.orDie)
      return rows.map(
        (row): PathCount => ({
          path: row.path,
          requests: Number(row.requests),
          bytesOut: Number(row.bytes_out)
        })
      )
    })

    const topCountries = Effect.fn("RequestLogs.topCountries")(function* (range: RollupRange, limit: number) {
      if (range.tenantIds.length === 0) return []
      const bucket = bucketOf(range)
      const table =
        range.granularity === "hour" ? "request_country_rollups_hourly" : "request_country_rollups_daily"
      const rows = yield* sql<{ readonly country: string; readonly requests: number }>`
        SELECT country, sum(requests)::float8 AS requests
        FROM ${sql(table)}
        WHERE tenant_id IN ${sql.in(range.tenantIds)}
          AND ${sql(bucket.column)} >= ${bucket.from} AND ${sql(bucket.column)} < ${bucket.to}
        GROUP BY country ORDER BY 2 DESC, 1 LIMIT ${limit}`.pipe(Effect.orDie)
      return rows.map(
        (row): CountryCount => ({
          country: row.country === "" ? null : row.country,
          requests: Number(row.requests)
        })
      )
    })

    const maintain = Effect.fn("RequestLogs.maintain")(function* (input: {
      readonly now: Date
      readonly retentionDays: number
      readonly aheadDays: number
    }) {
      const dayMillis = 86_400_000
      const firstKept = new Date(input.now.getTime() - input.retentionDays * dayMillis)
      const wanted = daysBetween(firstKept, new Date(input.now.getTime() + input.aheadDays * dayMillis))
      const before = new Set(yield* existingPartitions(sql))
      yield* ensureDays(wanted.filter((day) => !before.has(day)))
      const created = wanted.filter((day) => !before.has(day))
      const firstKeptDay = utcDay(firstKept)
      const dropped = yield* dropPartitionsBefore(sql, firstKeptDay)
      for (const day of dropped) known.delete(day)
      yield* sql`DELETE FROM request_log_ids WHERE day < ${firstKeptDay}::date`.pipe(Effect.orDie)
      yield* sql`DELETE FROM ingested_batches WHERE received_at < ${firstKept.toISOString()}::timestamptz`.pipe(
        Effect.orDie
      )
      return { created, dropped }
    })

    return RequestLogs.of({ ingest, page, rollups, topPaths, topCountries, maintain })
  })

const dateText = (value: unknown) =>
  value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10)

/** The port over the logs database. */
export const layer = Layer.effect(
  RequestLogs,
  Effect.gen(function* () {
    return yield* make(yield* LogsSql)
  })
)
