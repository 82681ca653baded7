import type { Effect } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import type { RecordedEvent, UniqueKeyTaken } from "../../application/ports/EventStore.ts"

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
   * deadlocked transaction and treats anything else as a defect.
   */
  readonly apply: (
    events: ReadonlyArray<RecordedEvent>
  ) => Effect.Effect<void, UniqueKeyTaken | SqlError.SqlError, SqlClient.SqlClient>
  /** Empties the read model before a rebuild from the log. */
  readonly reset: Effect.Effect<void, never, SqlClient.SqlClient>
}
