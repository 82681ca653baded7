import { Effect, Layer, Result } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import { chainBody } from "../../application/audit/chain.ts"
import {
  type AppendOutcome,
  type AppendRequest,
  type Checkpoint,
  EventStore,
  type RecordedEvent,
  type Snapshot,
  type TenantHead,
  UniqueKeyTaken,
  VersionConflict
} from "../../application/ports/EventStore.ts"
import { AppendSignal } from "./AppendSignal.ts"
import type { InlineProjection, Remember, RememberedRow } from "./InlineProjection.ts"
import { anyOf, asIso, asJson, asNumber, type EventRow, eventColumns, toRecordedEvent } from "./rows.ts"

/** A stream's head hash before its first event: 32 zero bytes. */
const zeroHashBytes = "decode(repeat('00', 32), 'hex')"

/** Streams whose projection rows one store remembers, per projection (the oldest go first). */
const rememberedStreams = 10_000

/**
 * How far `readAll` may read: below the oldest transaction still running that could yet
 * commit events, so that nothing can appear behind a checkpoint later. That is the
 * snapshot's xmin, except that transactions of other databases on the same server are
 * passed over: they cannot write this database's events, and a `DROP DATABASE` or a long
 * write over there would otherwise hold every projection here. A running transaction is
 * passed over only when the server shows it, by its xid, in another database; one it
 * cannot place (it ended between the snapshot and the look, or has no backend, as a
 * prepared transaction) still holds the horizon. Never past the reader's own transaction,
 * if it has an xid (a snapshot leaves its own out of the running list), and plain xmin on
 * a standby, whose snapshots list no running transactions at all. The backend statuses are
 * read once per transaction, so `readAll` runs as a statement of its own.
 */
const readHorizon = `CASE WHEN pg_is_in_recovery() THEN pg_snapshot_xmin(pg_current_snapshot()) ELSE least(
  coalesce(
    (SELECT running FROM pg_snapshot_xip(pg_current_snapshot()) AS running
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_get_activity(NULL) AS backend
        WHERE backend.backend_xid = running::xid
          AND backend.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
      ORDER BY running LIMIT 1),
    pg_snapshot_xmax(pg_current_snapshot())),
  coalesce(pg_current_xact_id_if_assigned(), pg_snapshot_xmax(pg_current_snapshot()))) END`

/** One remembering projection's rows for an append statement (see `RememberedRows.write`). */
interface Plan {
  readonly projection: InlineProjection
  readonly rows: ReadonlyArray<{
    readonly stream_id: string
    readonly tenant_id: string
    readonly row: unknown
    readonly expected_position: number
    readonly last_version: number
  }>
}

/**
 * The event store on one PostgreSQL dialect (PGlite or PostgreSQL).
 *
 * Append is a single statement, for one stream or many (`append` is `appendMany` of one
 * request): a compare-and-set upsert on `streams` for every request, row locks taken in
 * stream id order so that concurrent multi-stream appends cannot deadlock on them,
 * feeding the insert of the events of exactly the streams whose compare-and-set passed.
 * A stream that got no event rows back had moved on: `VersionConflict` for its request.
 * A request's guards (other streams its decision read) are checked in the same
 * compare-and-set: a guard stream that has moved makes the request a conflict too.
 * The statement runs in a transaction only when inline projections have to join it;
 * they then run once over the events of every accepted request. A projection that
 * remembers its rows (`RememberedRows`) joins the statement itself instead, when memory
 * knows every row the append starts from.
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
      hash: string
      prev_hash: string
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
    const insertEvents = (requests: ReadonlyArray<AppendRequest>, plans: ReadonlyArray<Plan> = []) =>
      Effect.suspend(() => {
        // One instant for the statement, in the chain's canonical spelling (milliseconds, UTC).
        const recordedAt = new Date().toISOString()
        return insertStatement(requests, plans, recordedAt)
      })

    const insertStatement = (
      requests: ReadonlyArray<AppendRequest>,
      plans: ReadonlyArray<Plan>,
      recordedAt: string
    ) =>
      sql<Row & Record<string, unknown>>`
        WITH request AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(
            requests.map((request) => ({
              stream_id: request.streamId,
              tenant_id: request.tenantId,
              expected: request.expectedVersion,
              events: request.events,
              metadata: request.metadata,
              guards: request.guards ?? null,
              bodies: request.events.map((event, i) =>
                chainBody({
                  streamId: request.streamId,
                  streamVersion: request.expectedVersion + i + 1,
                  tenantId: request.tenantId,
                  type: event.type,
                  schemaVersion: event.schemaVersion,
                  recordedAt,
                  metadata: event.metadata ?? request.metadata,
                  data: event.data
                })
              )
            }))
          )}::jsonb) AS r(stream_id text, tenant_id text, expected int, events jsonb, metadata jsonb, guards jsonb, bodies jsonb)
        ), chain AS (
          -- Each stream's chain goes on from its head hash (the stream row's), one link per event.
          SELECT r.stream_id, h.prev, event_chain(h.prev, ARRAY(
              SELECT b.body FROM jsonb_array_elements_text(r.bodies) WITH ORDINALITY AS b(body, n) ORDER BY b.n)) AS hashes
          FROM request r, LATERAL (SELECT coalesce(
            (SELECT s.head_hash FROM streams s WHERE s.stream_id = r.stream_id), ${sql.literal(zeroHashBytes)}) AS prev) h
        ), stream AS (
          INSERT INTO streams (stream_id, tenant_id, version, head_hash)
          SELECT r.stream_id, r.tenant_id, r.expected + jsonb_array_length(r.events), c.hashes[jsonb_array_length(r.events)]
          FROM request r JOIN chain c USING (stream_id)
          WHERE (r.expected = 0 OR (SELECT true FROM streams s WHERE s.stream_id = r.stream_id))
            AND (r.guards IS NULL OR NOT EXISTS (
              SELECT 1 FROM jsonb_to_recordset(r.guards) AS g("streamId" text, version int)
              WHERE coalesce((SELECT s.version FROM streams s WHERE s.stream_id = g."streamId"), 0) <> g.version))
          ORDER BY r.stream_id
          -- The head hash is part of the compare-and-set: a chain can only go on from its head.
          ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, head_hash = EXCLUDED.head_hash
            WHERE streams.version = (SELECT r.expected FROM request r WHERE r.stream_id = EXCLUDED.stream_id)
              AND streams.head_hash = (SELECT c.prev FROM chain c WHERE c.stream_id = EXCLUDED.stream_id)
          RETURNING stream_id
        )
        , written AS (
          INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata,
                              recorded_at, hash, prev_hash)
          SELECT r.stream_id, r.expected + e.ordinality::int, r.tenant_id, e.value->>'type',
                 (e.value->>'schemaVersion')::int, e.value->'data', coalesce(e.value->'metadata', r.metadata),
                 ${recordedAt}::timestamptz, c.hashes[e.ordinality],
                 CASE WHEN e.ordinality = 1 THEN c.prev ELSE c.hashes[e.ordinality - 1] END
          FROM stream JOIN request r USING (stream_id) JOIN chain c USING (stream_id),
               jsonb_array_elements(r.events) WITH ORDINALITY AS e(value, ordinality)
          ORDER BY r.stream_id, e.ordinality
          RETURNING position, transaction_id::text AS transaction_id, stream_id, stream_version, recorded_at,
                    encode(hash, 'hex') AS hash, encode(prev_hash, 'hex') AS prev_hash
        )${sql.join(
          " ",
          false,
          ""
        )(
          plans.map(
            (plan, i) =>
              sql`, ${sql.literal(`remembered_${i}`)} AS (${plan.projection.remembered!.write(sql, JSON.stringify(plan.rows))})`
          )
        )}
        SELECT w.*${sql.join(
          " ",
          false,
          ""
        )(
          plans.map(
            (_, i) =>
              sql`, EXISTS (SELECT 1 FROM ${sql.literal(`remembered_${i}`)} m WHERE m.stream_id = w.stream_id) AS ${sql.literal(`remembered_${i}`)}`
          )
        )} FROM written w`.pipe(
        Effect.map((rows) => {
          const written = requests.map(() => [] as Array<RecordedEvent>)
          const remembered = plans.map((_, i) => {
            const key = `remembered_${i}`
            return new Set(rows.filter((row) => row[key] === true).map((row) => row.stream_id))
          })
          if (rows.length === 0) return { written, remembered }
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
              recordedAt,
              hash: row.hash,
              prevHash: row.prev_hash
            }
          }
          return { written, remembered }
        }),
        Effect.catchReason("SqlError", "UniqueViolation", () =>
          // Only reachable if `streams` and `events` ever disagree; still a lost race, never a duplicate.
          Effect.succeed({
            written: requests.map(() => [] as Array<RecordedEvent>),
            remembered: plans.map(() => new Set<string>())
          })
        )
      )

    const applyInline = (events: ReadonlyArray<RecordedEvent>, remember?: (name: string) => Remember) =>
      Effect.forEach(
        inlineProjections,
        (projection) => {
          const relevant = events.filter((event) => projection.handles.has(event.type))
          return relevant.length === 0
            ? Effect.void
            : projection.apply(
                relevant,
                projection.remembered === undefined ? undefined : remember?.(projection.name)
              )
        },
        { discard: true }
      ).pipe(Effect.provideService(SqlClient.SqlClient, sql))

    /** The rows remembering projections last wrote here, per projection, per stream. */
    const memory = new Map(
      inlineProjections
        .filter((projection) => projection.remembered !== undefined)
        .map((projection) => [projection.name, new Map<string, RememberedRow>()])
    )
    const keep = (rows: Map<string, RememberedRow>, streamId: string, row: RememberedRow | undefined) => {
      rows.delete(streamId)
      if (row === undefined) return
      rows.set(streamId, row)
      if (rows.size > rememberedStreams) rows.delete(rows.keys().next().value as string)
    }

    /**
     * The append-statement path: for every projection these requests concern, the rows
     * after them from memory (none when no projection is concerned), or undefined when any
     * is unknown (then the transaction path).
     */
    const planFromMemory = (requests: ReadonlyArray<AppendRequest>): ReadonlyArray<Plan> | undefined => {
      const plans: Array<Plan> = []
      for (const projection of inlineProjections) {
        const rows: Array<Plan["rows"][number]> = []
        for (const request of requests) {
          const events = request.events.filter((event) => projection.handles.has(event.type))
          if (events.length === 0) continue
          const before = memory.get(projection.name)?.get(request.streamId)
          if (before === undefined || before.streamVersion !== request.expectedVersion) return undefined
          const row = projection.remembered!.next(before.row, events)
          if (row === undefined) return undefined
          const lastIndex = request.events.findLastIndex((event) => projection.handles.has(event.type))
          rows.push({
            stream_id: request.streamId,
            tenant_id: request.tenantId,
            row,
            expected_position: before.position,
            last_version: request.expectedVersion + lastIndex + 1
          })
        }
        if (rows.length > 0) plans.push({ projection, rows })
      }
      return plans
    }

    /** Two transactions both creating tenants can wait on each other's new slugs: the loser is retried. */
    const isTransient = (error: unknown) =>
      SqlError.isSqlError(error) &&
      (error.reason._tag === "DeadlockError" || error.reason._tag === "SerializationError")

    /**
     * Writes the requests' events and every inline projection's rows: in the append
     * statement alone when no projection is concerned or memory knows every row (see
     * `RememberedRows`), otherwise in a transaction with the projections applied after the
     * statement. Memory learns what was written once it is committed.
     */
    const write = (requests: ReadonlyArray<AppendRequest>) =>
      Effect.gen(function* () {
        const plans = planFromMemory(requests)
        if (plans !== undefined) {
          const { written, remembered } = yield* insertEvents(requests, plans).pipe(
            Effect.retry({ times: 3, while: isTransient }),
            Effect.tapError(() => Effect.sync(() => forgetAll(requests)))
          )
          const behindOurBack: Array<RecordedEvent> = []
          const indexOf = new Map(requests.map((request, i) => [request.streamId, i]))
          plans.forEach((plan, i) => {
            const rows = memory.get(plan.projection.name)!
            for (const planned of plan.rows) {
              const at = indexOf.get(planned.stream_id)!
              const events = written[at]!
              const wrote = remembered[i]!.has(planned.stream_id)
              const last = events.find((event) => event.streamVersion === planned.last_version)
              keep(
                rows,
                planned.stream_id,
                wrote && last !== undefined
                  ? {
                      streamVersion: requests[at]!.expectedVersion + events.length,
                      position: last.position,
                      row: planned.row
                    }
                  : undefined
              )
              if (!wrote && events.length > 0) behindOurBack.push(...events)
            }
          })
          // A row that was not where memory had it: apply those events to it as it now is.
          if (behindOurBack.length > 0) {
            yield* sql.withTransaction(applyInline(behindOurBack.sort((a, b) => a.position - b.position)))
          }
          advanceUnconcerned(requests, written)
          return written
        }
        const staged = new Map<string, Map<string, RememberedRow | undefined>>()
        const { written } = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              staged.clear()
              const { written } = yield* insertEvents(requests)
              // In log order, as a reader of the log would see them.
              yield* applyInline(
                written.flat().sort((a, b) => a.position - b.position),
                (name) => (streamId, row) => {
                  const rows = staged.get(name) ?? new Map<string, RememberedRow | undefined>()
                  staged.set(name, rows)
                  rows.set(streamId, row)
                }
              )
              return { written }
            })
          )
          .pipe(
            Effect.retry({ times: 3, while: isTransient }),
            Effect.tapError(() => Effect.sync(() => forgetAll(requests)))
          )
        // Committed: a row reflects its stream up to this append's end (later events of it
        // in this append are ones the projection ignores).
        const nextVersion = new Map(
          requests.map((request, i) => [request.streamId, request.expectedVersion + written[i]!.length])
        )
        for (const [name, rows] of staged) {
          for (const [streamId, row] of rows) {
            keep(
              memory.get(name)!,
              streamId,
              row === undefined ? undefined : { ...row, streamVersion: nextVersion.get(streamId)! }
            )
          }
        }
        advanceUnconcerned(requests, written)
        return written
      })

    /** A stream that lost its compare-and-set, or whose write failed: what memory had of it may be stale. */
    const forgetAll = (requests: ReadonlyArray<AppendRequest>) => {
      for (const rows of memory.values()) for (const request of requests) rows.delete(request.streamId)
    }

    /**
     * After a commit: a stream that lost its compare-and-set is forgotten; a remembered
     * row whose stream took only events its projection ignores still reflects the
     * stream, now at its new version. (Streams with events it handles were just kept.)
     */
    const advanceUnconcerned = (
      requests: ReadonlyArray<AppendRequest>,
      written: ReadonlyArray<ReadonlyArray<RecordedEvent>>
    ) => {
      for (const projection of inlineProjections) {
        const rows = memory.get(projection.name)
        if (rows === undefined) continue
        requests.forEach((request, i) => {
          const row = rows.get(request.streamId)
          if (row === undefined) return
          if (written[i]!.length === 0) rows.delete(request.streamId)
          else if (request.events.some((event) => projection.handles.has(event.type))) return
          else if (row.streamVersion === request.expectedVersion) {
            rows.set(request.streamId, {
              ...row,
              streamVersion: request.expectedVersion + written[i]!.length
            })
          }
        })
      }
    }

    const appendMany = Effect.fnUntraced(function* (requests: ReadonlyArray<AppendRequest>) {
      const toWrite = requests.filter((request) => request.events.length > 0)
      if (new Set(toWrite.map((request) => request.streamId)).size !== toWrite.length) {
        return yield* Effect.die(new Error("EventStore.appendMany: one request per stream"))
      }
      const written =
        toWrite.length === 0
          ? []
          : yield* write(toWrite).pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
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

    const readLastEvent = (streamId: string) =>
      sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE stream_id = ${streamId} ORDER BY stream_version DESC LIMIT 1`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : toRecordedEvent(rows[0]))),
        Effect.orDie
      )

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
    const readAll = (
      after: Checkpoint,
      limit: number,
      scope?: { readonly tenantIds: ReadonlyArray<string> }
    ) =>
      sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE (transaction_id, position) > (${String(after.transactionId)}::xid8, ${after.position})
          AND transaction_id < ${sql.literal(readHorizon)}
          ${scope === undefined ? sql`` : sql`AND tenant_id = ${anyOf(sql, scope.tenantIds)}`}
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

    const tenantHead = (tenantId: string) =>
      sql<{ position: unknown; count: unknown; streams: unknown }>`
        SELECT coalesce(max(position), 0) AS position, count(*) AS count,
          (SELECT coalesce(jsonb_agg(jsonb_build_object('streamId', stream_id, 'version', version,
              'hash', encode(head_hash, 'hex')) ORDER BY stream_id), '[]'::jsonb)
            FROM streams WHERE tenant_id = ${tenantId}) AS streams
        FROM events WHERE tenant_id = ${tenantId}`.pipe(
        Effect.map((rows) => ({
          position: asNumber(rows[0]!.position),
          count: asNumber(rows[0]!.count),
          streams: asJson<TenantHead["streams"]>(rows[0]!.streams)
        })),
        Effect.orDie
      )

    const checkpointAt = (position: number) =>
      sql<{ transaction_id: unknown }>`SELECT transaction_id::text AS transaction_id FROM events
        WHERE position = ${position}`.pipe(
        Effect.map((rows): Checkpoint | undefined =>
          rows[0] === undefined ? undefined : { transactionId: asNumber(rows[0].transaction_id), position }
        ),
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
      readLastEvent,
      readStream,
      readAll,
      readTenantLog,
      tenantHead,
      checkpointAt,
      headPosition,
      awaitAppend: appendSignal.wait,
      loadSnapshot,
      saveSnapshot
    })
  })

export const layer = (inlineProjections: ReadonlyArray<InlineProjection>) =>
  Layer.effect(EventStore, make(inlineProjections))

export { UniqueKeyTaken }
