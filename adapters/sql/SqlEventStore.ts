import { Effect, Layer, Result } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import {
  type AppendOutcome,
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
 * Append is a single statement, for one stream or many (`append` is `appendMany` of one
 * request): a compare-and-set upsert on `streams` for every request, row locks taken in
 * stream id order so that concurrent multi-stream appends cannot deadlock on them,
 * feeding the insert of the events of exactly the streams whose compare-and-set passed.
 * A stream that got no event rows back had moved on: `VersionConflict` for its request.
 * The statement runs in a transaction only when inline projections have to join it;
 * they then run once over the events of every accepted request.
 */
export const make = (inlineProjections: ReadonlyArray<InlineProjection>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const appendSignal = yield* AppendSignal

    type Row = {
      position: unknown
      transaction_id: unknown
      stream_id: string
      stream_version: unknown
      recorded_at: unknown
    }

    /**
     * The one append statement. `request` is the input, one row per stream; `stream` the
     * compare-and-set: a new stream is inserted only when its request expects 0, an
     * existing one updated only when at its request's expected version (READ COMMITTED
     * re-checks the `WHERE` against a racing winner's row under the lock, so the loser
     * gets no row). ON CONFLICT cannot touch a row twice in one statement, hence one
     * request per stream. Answers each request's recorded events, empty when it lost.
     *
     * The planner guesses 100 rows for a set-returning function whatever the input, so
     * lookups keyed by the input are scalar subqueries (an index probe per row), never
     * `EXISTS`/`IN`, which it may turn into a hash over a scan of the whole table.
     */
    const insertEvents = (requests: ReadonlyArray<AppendRequest>) =>
      sql<Row>`
        WITH request AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(
            requests.map((request) => ({
              stream_id: request.streamId,
              tenant_id: request.tenantId,
              expected: request.expectedVersion,
              events: request.events,
              metadata: request.metadata
            }))
          )}::jsonb) AS r(stream_id text, tenant_id text, expected int, events jsonb, metadata jsonb)
        ), stream AS (
          INSERT INTO streams (stream_id, tenant_id, version)
          SELECT r.stream_id, r.tenant_id, r.expected + jsonb_array_length(r.events) FROM request r
          WHERE r.expected = 0 OR (SELECT true FROM streams s WHERE s.stream_id = r.stream_id)
          ORDER BY r.stream_id
          ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
            WHERE streams.version = (SELECT r.expected FROM request r WHERE r.stream_id = EXCLUDED.stream_id)
          RETURNING stream_id
        )
        INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
        SELECT r.stream_id, r.expected + e.ordinality::int, r.tenant_id, e.value->>'type',
               (e.value->>'schemaVersion')::int, e.value->'data', coalesce(e.value->'metadata', r.metadata)
        FROM stream JOIN request r USING (stream_id),
             jsonb_array_elements(r.events) WITH ORDINALITY AS e(value, ordinality)
        ORDER BY r.stream_id, e.ordinality
        RETURNING position, transaction_id::text AS transaction_id, stream_id, stream_version, recorded_at`.pipe(
        Effect.map((rows) => {
          const written = requests.map(() => [] as Array<RecordedEvent>)
          if (rows.length === 0) return written
          const index = new Map(requests.map((request, i) => [request.streamId, i]))
          // Every row of one statement shares the transaction and the timestamp.
          const transactionId = asNumber(rows[0]!.transaction_id)
          const recordedAt = asIso(rows[0]!.recorded_at)
          for (const row of rows) {
            const i = index.get(row.stream_id)!
            const request = requests[i]!
            const streamVersion = asNumber(row.stream_version)
            const at = streamVersion - request.expectedVersion - 1
            const event = request.events[at]!
            written[i]![at] = {
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
          return written
        }),
        Effect.catchReason("SqlError", "UniqueViolation", () =>
          // Only reachable if `streams` and `events` ever disagree; still a lost race, never a duplicate.
          Effect.succeed(requests.map(() => [] as Array<RecordedEvent>))
        )
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

    const needsInline = (requests: ReadonlyArray<AppendRequest>) =>
      inlineProjections.some((projection) =>
        requests.some((request) => request.events.some((event) => projection.handles.has(event.type)))
      )

    /** Two transactions both creating tenants can wait on each other's new slugs: the loser is retried. */
    const isTransient = (error: unknown) =>
      SqlError.isSqlError(error) &&
      (error.reason._tag === "DeadlockError" || error.reason._tag === "SerializationError")

    const appendMany = Effect.fnUntraced(function* (requests: ReadonlyArray<AppendRequest>) {
      const toWrite = requests.filter((request) => request.events.length > 0)
      if (new Set(toWrite.map((request) => request.streamId)).size !== toWrite.length) {
        return yield* Effect.die(new Error("EventStore.appendMany: one request per stream"))
      }
      const write = Effect.gen(function* () {
        const written = yield* insertEvents(toWrite)
        // In log order, as a reader of the log would see them.
        yield* applyInline(written.flat().sort((a, b) => a.position - b.position))
        return written
      })
      const written =
        toWrite.length === 0
          ? []
          : needsInline(toWrite)
            ? yield* sql.withTransaction(write).pipe(
                Effect.retry({ times: 3, while: isTransient }),
                Effect.catchTag("SqlError", (error) => Effect.die(error))
              )
            : yield* write.pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
      const types = new Set<string>()
      for (const events of written) for (const event of events) types.add(event.type)
      // Once per call, after the commit, naming what was written (caches watch types).
      if (types.size > 0) yield* appendSignal.appended([...types])
      const byStream = new Map(toWrite.map((request, i) => [request.streamId, written[i]!]))
      return requests.map((request): AppendOutcome => {
        if (request.events.length === 0)
          return Result.succeed({ nextVersion: request.expectedVersion, events: [] })
        const events = byStream.get(request.streamId)!
        return events.length === 0
          ? Result.fail(
              new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })
            )
          : Result.succeed({ nextVersion: request.expectedVersion + events.length, events })
      })
    })

    const append = (request: AppendRequest) =>
      appendMany([request]).pipe(Effect.flatMap((outcomes) => Effect.fromResult(outcomes[0]!)))

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
      appendMany,
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
