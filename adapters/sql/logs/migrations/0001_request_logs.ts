import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { latencyBucketCount } from "../../../../domain/edge/requestLog.ts"

const latencyColumns = Array.from(
  { length: latencyBucketCount },
  (_, index) => `latency_${index} bigint NOT NULL DEFAULT 0`
).join(",\n    ")

const counters = `requests bigint NOT NULL DEFAULT 0,
    hits bigint NOT NULL DEFAULT 0,
    misses bigint NOT NULL DEFAULT 0,
    bypasses bigint NOT NULL DEFAULT 0,
    bytes_out bigint NOT NULL DEFAULT 0,
    bytes_from_origin bigint NOT NULL DEFAULT 0,
    status_1xx bigint NOT NULL DEFAULT 0,
    status_2xx bigint NOT NULL DEFAULT 0,
    status_3xx bigint NOT NULL DEFAULT 0,
    status_4xx bigint NOT NULL DEFAULT 0,
    status_5xx bigint NOT NULL DEFAULT 0,
    ${latencyColumns}`

/**
 * The logs database (its own migration set, apart from the event store's):
 *
 * - `request_logs`, partitioned by day (range on `ts`, one partition per UTC day, made and
 *   dropped by our own code: adapters/sql/logs/partitions.ts), indexed for a tenant's
 *   newest-first keyset (`tenant_id, ts, id`, scanned backwards).
 * - `request_log_ids`: every stored record id with its day. A unique index on a partitioned
 *   table must hold the partition key, which would let one id be stored twice under two
 *   timestamps; this table makes the id alone unique. Pruned with the partitions.
 * - `ingested_batches`: batch ids seen (a repeated one stores nothing), pruned likewise.
 * - Rollups per tenant, hourly and daily (UTC): per surface (counters, status classes,
 *   a latency histogram whose buckets merge by addition), per path and per country
 *   (requests; `''` for records without a country). Kept beyond the logs' retention.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE request_logs (
    tenant_id text NOT NULL,
    ts timestamptz NOT NULL,
    id text NOT NULL,
    slug text NOT NULL,
    host text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    status smallint NOT NULL,
    cache text NOT NULL,
    surface text NOT NULL,
    bytes_out bigint NOT NULL,
    bytes_from_origin bigint NOT NULL,
    duration_ms double precision NOT NULL,
    origin_ms double precision,
    country text,
    user_agent text
  ) PARTITION BY RANGE (ts)`
  yield* sql`CREATE INDEX request_logs_keyset ON request_logs (tenant_id, ts, id)`
  yield* sql`CREATE TABLE request_log_ids (
    id text PRIMARY KEY,
    day date NOT NULL
  )`
  yield* sql`CREATE TABLE ingested_batches (
    batch_id text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
  )`
  for (const [table, bucket] of [
    ["request_rollups_hourly", "hour timestamptz"],
    ["request_rollups_daily", "day date"]
  ] as const) {
    const key = bucket.split(" ")[0]
    yield* sql.unsafe(`CREATE TABLE ${table} (
    tenant_id text NOT NULL,
    ${bucket} NOT NULL,
    surface text NOT NULL,
    ${counters},
    PRIMARY KEY (tenant_id, ${key}, surface)
  )`)
  }
  for (const [table, bucket] of [
    ["request_path_rollups_hourly", "hour timestamptz"],
    ["request_path_rollups_daily", "day date"]
  ] as const) {
    const key = bucket.split(" ")[0]
    yield* sql.unsafe(`CREATE TABLE ${table} (
    tenant_id text NOT NULL,
    ${bucket} NOT NULL,
    path text NOT NULL,
    requests bigint NOT NULL DEFAULT 0,
    bytes_out bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, ${key}, path)
  )`)
  }
  for (const [table, bucket] of [
    ["request_country_rollups_hourly", "hour timestamptz"],
    ["request_country_rollups_daily", "day date"]
  ] as const) {
    const key = bucket.split(" ")[0]
    yield* sql.unsafe(`CREATE TABLE ${table} (
    tenant_id text NOT NULL,
    ${bucket} NOT NULL,
    country text NOT NULL,
    requests bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, ${key}, country)
  )`)
  }
})
