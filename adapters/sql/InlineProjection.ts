import type { Effect } from "effect"
import type { SqlClient } from "effect/sql"
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
  readonly apply: (
    events: ReadonlyArray<RecordedEvent>
  ) => Effect.Effect<void, UniqueKeyTaken, SqlClient.SqlClient>
  /** Empties the read model before a rebuild from the log. */
  readonly reset: Effect.Effect<void, never, SqlClient.SqlClient>
}
