import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { InlineProjection } from "./InlineProjection.ts"
import { type EventRow, eventColumns, toRecordedEvent } from "./rows.ts"

/**
 * Rebuilds an inline read model from the log in one transaction, so readers see the
 * old model or the new one, never half of either.
 *
 * The first statement locks the model's tables against writers: an append that would
 * change them waits before it can commit, and applies its own events after the rebuild
 * commits. Everything committed before the lock is visible, so the replay simply walks
 * positions (the in-flight gap that readAll guards against cannot open here).
 */
export const rebuildInlineProjection = (projection: InlineProjection, batchSize = 1000) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql
      .withTransaction(
        Effect.gen(function* () {
          for (const table of projection.tables) yield* sql`LOCK TABLE ${sql(table)} IN EXCLUSIVE MODE`
          yield* projection.reset
          const types = [...projection.handles]
          let after = 0
          let replayed = 0
          while (true) {
            const rows = yield* sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
              WHERE position > ${after} AND type IN ${sql.in(types)} ORDER BY position LIMIT ${batchSize}`
            if (rows.length === 0) return replayed
            const events = rows.map(toRecordedEvent)
            yield* projection.apply(events)
            replayed += events.length
            after = events.at(-1)!.position
          }
        })
      )
      .pipe(Effect.orDie)
  })
