import type { Effect } from "effect"
import type { SqlClient, SqlError, Statement } from "effect/sql"
import type { NewEvent, RecordedEvent, UniqueKeyTaken } from "../../application/ports/EventStore.ts"

/**
 * A read model kept in the same transaction as the append that changes it, so a
 * client reads its own writes and a unique index can refuse the append itself.
 */
export interface InlineProjection {
  readonly name: string
  /** The tables it writes, locked while it is rebuilt. */
  readonly tables: ReadonlyArray<string>
  /** Event types it reacts to; others never reach `apply`. */
  readonly handles: ReadonlySet<string>
  /**
   * Applies events of any number of streams and tenants (one cross-stream append, or a
   * page of a rebuild), in log order per stream; a few statements for the whole lot,
   * not a few per event. Storage errors are left to the caller, which retries a
   * deadlocked transaction and treats anything else as a defect. A remembering
   * projection hands the rows it wrote to `remember`, which the store keeps once the
   * transaction has committed.
   */
  readonly apply: (
    events: ReadonlyArray<RecordedEvent>,
    remember?: Remember
  ) => Effect.Effect<void, UniqueKeyTaken | SqlError.SqlError, SqlClient.SqlClient>
  /** Empties the read model before a rebuild from the log. */
  readonly reset: Effect.Effect<void, never, SqlClient.SqlClient>
  /** Optional: the append-statement path below. */
  readonly remembered?: RememberedRows
}

/** What a remembering projection last wrote for one stream: its row, as of a stream version. */
export interface RememberedRow {
  /** The stream's version the row reflects (every event of the stream up to it). */
  readonly streamVersion: number
  /** The row's `position` column as written: where the database row can be checked against. */
  readonly position: number
  readonly row: unknown
}

/** `undefined`: the stream no longer has a row (forget it). */
export type Remember = (streamId: string, remembered: RememberedRow | undefined) => void

/**
 * The hot path of a projection with one row per stream (e.g. `tenants`): the store keeps
 * the row it last wrote for each stream, and when an append continues exactly the
 * version a remembered row reflects, the projection's new rows are folded in memory and
 * written by the append statement itself. One statement, no transaction, no read.
 *
 * Memory alone is never trusted: the write is guarded by the row's `position`, so a row
 * changed behind this process's back is not overwritten; the store then applies those
 * streams' events again the usual way (`apply`), from the row as it now is.
 */
export interface RememberedRows {
  /**
   * The row after `events` (not yet recorded) of one stream, from the row before them;
   * `undefined` when memory cannot say (the stream leaves, a unique key changes), and the
   * append goes the usual way.
   */
  readonly next: (before: unknown, events: ReadonlyArray<NewEvent>) => unknown | undefined
  /**
   * The data-modifying statement for a CTE named by the store: it writes `planned`
   * (`jsonb`: [{ stream_id, tenant_id, row, expected_position, last_version }]) for the streams in
   * `written` (the append's event rows: stream_id, stream_version, position), only where
   * the row's position is still `expected_position`, and returns the `stream_id`s it wrote.
   */
  readonly write: (sql: SqlClient.SqlClient, planned: string) => Statement.Fragment
}
