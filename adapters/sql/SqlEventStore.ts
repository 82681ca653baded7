import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type AppendRequest,
  type Checkpoint,
  EventStore,
  type RecordedEvent,
  type Snapshot,
  UniqueKeyTaken,
  VersionConflict
} from "../../application/ports/EventStore.ts"
import { AppendSignal } from "./AppendSignal.ts"
import type { InlineProjection } from "./InlineProjection.ts"
import { asIso, asJson, asNumber, type EventRow, eventColumns, toRecordedEvent } from "./rows.ts"

/**
 * The event store on one PostgreSQL dialect (PGlite or PostgreSQL).
 *
 * Append is a single statement: an upsert on `streams` that only succeeds when the
 * stream is at the expected version (compare-and-set under the row lock), feeding the
 * insert of the events. No row back means someone else won: `VersionConflict`. The
 * statement runs in a transaction only when inline projections have to join it.
 */
export const make = (inlineProjections: ReadonlyArray<InlineProjection>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const appendSignal = yield* AppendSignal

    const insertEvents = (request: AppendRequest) =>
      sql<{ position: unknown; transaction_id: unknown; stream_version: unknown; recorded_at: unknown }>`
        WITH stream AS (
          INSERT INTO streams (stream_id, tenant_id, version)
          VALUES (${request.streamId}, ${request.tenantId}, ${request.expectedVersion + request.events.length})
          ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
            WHERE streams.version = ${request.expectedVersion}
          RETURNING version
        )
        INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
        SELECT ${request.streamId}, ${request.expectedVersion}::int + e.ordinality::int, ${request.tenantId},
               e.value->>'type', (e.value->>'schemaVersion')::int, e.value->'data', coalesce(e.value->'metadata', ${JSON.stringify(request.metadata)}::jsonb)
        FROM stream, jsonb_array_elements(${JSON.stringify(request.events)}::jsonb) WITH ORDINALITY AS e(value, ordinality)
        RETURNING position, transaction_id::text AS transaction_id, stream_version, recorded_at`.pipe(
        Effect.map((rows) => {
          if (rows.length === 0) return [] as ReadonlyArray<RecordedEvent>
          // Every row of one statement shares the transaction and the timestamp.
          const transactionId = asNumber(rows[0]!.transaction_id)
          const recordedAt = asIso(rows[0]!.recorded_at)
          const events = new Array<RecordedEvent>(rows.length)
          for (const row of rows) {
            const streamVersion = asNumber(row.stream_version)
            const index = streamVersion - request.expectedVersion - 1
            const event = request.events[index]!
            events[index] = {
              position: asNumber(row.position),
              transactionId,
              streamId: request.streamId,
              streamVersion,
              tenantId: request.tenantId,
              type: event.type,
              schemaVersion: event.schemaVersion,
              data: event.data,
              metadata: event.metadata ?? request.metadata,
              recordedAt
            }
          }
          return events
        }),
        Effect.catchReason("SqlError", "UniqueViolation", () =>
          // Only reachable if `streams` and `events` ever disagree; still a lost race, never a duplicate.
          Effect.succeed([] as ReadonlyArray<RecordedEvent>)
        ),
        Effect.orDie
      )

    const applyInline = (events: ReadonlyArray<RecordedEvent>) =>
      Effect.forEach(
        inlineProjections,
        (projection) => {
          const relevant = events.filter((event) => projection.handles.has(event.type))
          return relevant.length === 0 ? Effect.void : projection.apply(relevant)
        },
        { discard: true }
      ).pipe(Effect.provideService(SqlClient.SqlClient, sql))

    const needsInline = (request: AppendRequest) =>
      inlineProjections.some((projection) =>
        request.events.some((event) => projection.handles.has(event.type))
      )

    const append = Effect.fn("EventStore.append")(function* (request: AppendRequest) {
      if (request.events.length === 0) return { nextVersion: request.expectedVersion, events: [] }
      const write = Effect.gen(function* () {
        const events = yield* insertEvents(request)
        if (events.length === 0)
          return yield* new VersionConflict({
            streamId: request.streamId,
            expectedVersion: request.expectedVersion
          })
        yield* applyInline(events)
        return events
      })
      const events = needsInline(request)
        ? yield* sql.withTransaction(write).pipe(
            Effect.catchTag("SqlError", (error) => Effect.die(error)),
            Effect.catchTag("UniqueKeyTaken", (error) => Effect.fail(error))
          )
        : yield* write
      yield* appendSignal.appended
      return { nextVersion: request.expectedVersion + events.length, events }
    })

    const readStream = (streamId: string, fromVersion = 1) =>
      sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE stream_id = ${streamId} AND stream_version >= ${fromVersion} ORDER BY stream_version`.pipe(
        Effect.map((rows) => rows.map(toRecordedEvent)),
        Effect.orDie
      )

    // Positions are taken at insert but become visible at commit, so a reader going by
    // position alone could pass an event whose transaction commits later. Ordering by
    // (transaction id, position) and stopping below the oldest transaction still running
    // means everything handed out can never be preceded by something not yet visible.
    const readAll = (after: Checkpoint, limit: number) =>
      sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE (transaction_id, position) > (${String(after.transactionId)}::xid8, ${after.position})
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        -- Qualified: a bare transaction_id here would be the text alias of the select list.
        ORDER BY events.transaction_id, events.position
        LIMIT ${limit}`.pipe(
        Effect.map((rows) => {
          const events = rows.map(toRecordedEvent)
          const last = events.at(-1)
          return {
            events,
            checkpoint:
              last === undefined ? after : { transactionId: last.transactionId, position: last.position }
          }
        }),
        Effect.orDie
      )

    const readTenantLog = (
      tenantId: string,
      page: { readonly beforePosition?: number | undefined; readonly limit: number }
    ) =>
      sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE tenant_id = ${tenantId} ${page.beforePosition === undefined ? sql`` : sql`AND position < ${page.beforePosition}`}
        ORDER BY position DESC LIMIT ${page.limit + 1}`.pipe(
        Effect.map((rows) => ({
          events: rows.slice(0, page.limit).map(toRecordedEvent),
          hasMore: rows.length > page.limit
        })),
        Effect.orDie
      )

    const headPosition = sql<{ head: unknown }>`SELECT coalesce(max(position), 0) AS head FROM events`.pipe(
      Effect.map((rows) => asNumber(rows[0]?.head ?? 0)),
      Effect.orDie
    )

    const loadSnapshot = (streamId: string) =>
      sql<{ stream_version: unknown; state_version: unknown; state: unknown }>`
        SELECT stream_version, state_version, state FROM snapshots WHERE stream_id = ${streamId}`.pipe(
        Effect.map((rows): Snapshot | undefined => {
          const row = rows[0]
          return row === undefined
            ? undefined
            : {
                streamId,
                streamVersion: asNumber(row.stream_version),
                stateVersion: asNumber(row.state_version),
                state: asJson(row.state)
              }
        }),
        Effect.orDie
      )

    const saveSnapshot = (snapshot: Snapshot) =>
      sql`INSERT INTO snapshots (stream_id, stream_version, state_version, state)
        VALUES (${snapshot.streamId}, ${snapshot.streamVersion}, ${snapshot.stateVersion}, ${JSON.stringify(snapshot.state)}::jsonb)
        ON CONFLICT (stream_id) DO UPDATE SET stream_version = EXCLUDED.stream_version,
          state_version = EXCLUDED.state_version, state = EXCLUDED.state, taken_at = now()
        WHERE snapshots.stream_version < EXCLUDED.stream_version`.pipe(Effect.asVoid, Effect.orDie)

    return EventStore.of({
      append,
      readStream,
      readAll,
      readTenantLog,
      headPosition,
      awaitAppend: appendSignal.wait,
      loadSnapshot,
      saveSnapshot
    })
  })

export const layer = (inlineProjections: ReadonlyArray<InlineProjection>) =>
  Layer.effect(EventStore, make(inlineProjections))

export { UniqueKeyTaken }
