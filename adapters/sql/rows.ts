import type { SqlClient } from "effect/sql"
import type { EventMetadata, JsonObject, RecordedEvent } from "../../application/ports/EventStore.ts"

/**
 * `ANY(…)` over a list of texts sent as one JSON parameter: `WHERE id = ${anyOf(sql, ids)}`.
 * An array, never `IN (SELECT …)`: the planner guesses 100 rows for a JSON set and may plan
 * the semi-join as a scan of the whole table; `= ANY(array)` probes the index.
 */
export const anyOf = (sql: SqlClient.SqlClient, values: Iterable<string>) =>
  sql`ANY(ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify([...values])}::jsonb)))`

/** Both drivers hand back int8 and xid8 as text or number, jsonb as parsed or text: normalise once here. */
export const asNumber = (value: unknown): number => (typeof value === "number" ? value : Number(value))

export const asJson = <A>(value: unknown): A => (typeof value === "string" ? JSON.parse(value) : value) as A

export const asIso = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()

export interface EventRow {
  readonly position: unknown
  readonly transaction_id: unknown
  readonly stream_id: string
  readonly stream_version: unknown
  readonly tenant_id: string
  readonly type: string
  readonly schema_version: unknown
  readonly data: unknown
  readonly metadata: unknown
  readonly recorded_at: unknown
  readonly hash: string | null
  readonly prev_hash: string | null
}

export const eventColumns =
  "position, transaction_id::text AS transaction_id, stream_id, stream_version, tenant_id, type, schema_version, data, metadata, recorded_at, encode(hash, 'hex') AS hash, encode(prev_hash, 'hex') AS prev_hash"

export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  position: asNumber(row.position),
  transactionId: asNumber(row.transaction_id),
  streamId: row.stream_id,
  streamVersion: asNumber(row.stream_version),
  tenantId: row.tenant_id,
  type: row.type,
  schemaVersion: asNumber(row.schema_version),
  data: asJson<JsonObject>(row.data),
  metadata: asJson<EventMetadata>(row.metadata),
  recordedAt: asIso(row.recorded_at),
  // A row written around the event store has no link: empty, which no verification accepts.
  hash: row.hash ?? "",
  prevHash: row.prev_hash ?? ""
})
