import { Context, type Effect, type Result, Schema } from "effect"

/** Who caused an event: a signed-in user, a webhook delivery, or Tenantry itself. */
export const Actor = Schema.Struct({
  type: Schema.Literals(["user", "webhook", "system"]),
  id: Schema.String
})
export type Actor = typeof Actor.Type

export const EventMetadata = Schema.Struct({
  actor: Actor,
  requestId: Schema.optionalKey(Schema.String),
  correlationId: Schema.optionalKey(Schema.String),
  causationId: Schema.optionalKey(Schema.String)
})
export type EventMetadata = typeof EventMetadata.Type

export type JsonObject = { readonly [key: string]: unknown }

/** An event about to be appended, already encoded to its stored shape. */
export interface NewEvent {
  readonly type: string
  readonly schemaVersion: number
  readonly data: JsonObject
  /** Overrides the request's metadata for this event (commands batched into one append). */
  readonly metadata?: EventMetadata | undefined
}

/** An event as the log holds it. `position` is global, gap-tolerant, and the audit id. */
export interface RecordedEvent {
  readonly position: number
  readonly transactionId: number
  readonly streamId: string
  readonly streamVersion: number
  readonly tenantId: string
  readonly type: string
  readonly schemaVersion: number
  readonly data: JsonObject
  readonly metadata: EventMetadata
  readonly recordedAt: string
  /** The stream's hash chain (hex SHA-256, application/audit/chain.ts): this event's link and the previous one's. */
  readonly hash: string
  readonly prevHash: string
}

/**
 * Where a `readAll` reader stands: events are ordered by (transaction id, position),
 * and only transactions older than every one still running are handed out.
 */
export interface Checkpoint {
  readonly transactionId: number
  readonly position: number
}
export const startOfLog: Checkpoint = { transactionId: 0, position: 0 }

export interface Snapshot {
  readonly streamId: string
  readonly streamVersion: number
  readonly stateVersion: number
  readonly state: unknown
}

/** The expected version was stale: someone else appended to the stream first. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  streamId: Schema.String,
  expectedVersion: Schema.Number
}) {
  readonly code = "version_conflict"
}

/** An inline projection refused the append because a unique key (e.g. a live slug) is taken. */
export class UniqueKeyTaken extends Schema.TaggedError<UniqueKeyTaken>()("UniqueKeyTaken", {
  key: Schema.String
}) {
  readonly code = "unique_key_taken"
}

/**
 * Another stream the decision read: the append goes through only if that stream is still
 * at `version` (0: it does not exist) when it is written, else it is a `VersionConflict`
 * like a stale expected version. This is how a decision over one stream relies on facts of
 * another (a webhook's secret, a tenant being live) without holding both in one stream.
 */
export interface StreamGuard {
  readonly streamId: string
  readonly version: number
}

export interface AppendRequest {
  readonly streamId: string
  readonly tenantId: string
  /** The stream's version the decision was made on; 0 for a new stream. */
  readonly expectedVersion: number
  readonly events: ReadonlyArray<NewEvent>
  readonly metadata: EventMetadata
  /** Other streams the decision read, checked in the same statement as the append. */
  readonly guards?: ReadonlyArray<StreamGuard> | undefined
}

export interface AppendResult {
  readonly nextVersion: number
  readonly events: ReadonlyArray<RecordedEvent>
}

/** One request's answer from `appendMany`: appended, or refused because its stream had moved on. */
export type AppendOutcome = Result.Result<AppendResult, VersionConflict>

/** Where a tenant's log stands: its newest event, its count, and each of its streams' chain head. */
export interface TenantHead {
  readonly position: number
  readonly count: number
  readonly streams: ReadonlyArray<{
    readonly streamId: string
    readonly version: number
    readonly hash: string
  }>
}

export interface TenantLogPage {
  readonly events: ReadonlyArray<RecordedEvent>
  readonly hasMore: boolean
}

/**
 * The append-only log. Appends are atomic per call and optimistic per stream; inline
 * projections commit with them. Storage failures are defects: callers see only the
 * rule-level errors named here.
 */
export class EventStore extends Context.Service<
  EventStore,
  {
    /**
     * Appends to one stream if it is at `expectedVersion` (0: the stream does not exist
     * yet) and every guard stream is at its version, else `VersionConflict` and nothing is
     * written. `appendMany` of one request.
     */
    readonly append: (request: AppendRequest) => Effect.Effect<AppendResult, VersionConflict | UniqueKeyTaken>
    /**
     * Appends to several streams in ONE transaction (cross-stream group commit). Each
     * request is checked against its own expected version, as `append` does, and the
     * answer is per request, in order: `Success` with its events, or `Failure` with its
     * `VersionConflict` (that request wrote nothing; the others still commit). Everything
     * that is written commits together: a `readAll` reader sees all of it or none of it,
     * under one transaction id. Inline projections run once over the events of every
     * accepted request; when one refuses (`UniqueKeyTaken`), the whole call fails and
     * nothing of any request is written. A request without events is answered with its
     * expected version, unchecked, as `append` does.
     *
     * The stream ids must be distinct (a defect otherwise): one call holds at most one
     * decision per stream.
     */
    readonly appendMany: (
      requests: ReadonlyArray<AppendRequest>
    ) => Effect.Effect<ReadonlyArray<AppendOutcome>, UniqueKeyTaken>
    /** The newest event of one stream, or undefined for a stream with none. */
    readonly readLastEvent: (streamId: string) => Effect.Effect<RecordedEvent | undefined>
    /** Events of one stream from `fromVersion` (inclusive), in version order. */
    readonly readStream: (
      streamId: string,
      fromVersion?: number
    ) => Effect.Effect<ReadonlyArray<RecordedEvent>>
    /**
     * The next committed events after `after`, at most `limit`, in commit-safe order; with
     * `tenantIds`, only those tenants' events (the same order, filtered).
     */
    readonly readAll: (
      after: Checkpoint,
      limit: number,
      scope?: { readonly tenantIds: ReadonlyArray<string> }
    ) => Effect.Effect<{ readonly events: ReadonlyArray<RecordedEvent>; readonly checkpoint: Checkpoint }>
    /** One tenant's events, newest first, keyset-paged on position. */
    readonly readTenantLog: (
      tenantId: string,
      page: { readonly beforePosition?: number | undefined; readonly limit: number }
    ) => Effect.Effect<TenantLogPage>
    /** The tenant's newest event id, its event count and its streams' head hashes, in one snapshot. */
    readonly tenantHead: (tenantId: string) => Effect.Effect<TenantHead>
    /** Where a `readAll` reader stands right after the event at `position` (undefined: no such event). */
    readonly checkpointAt: (position: number) => Effect.Effect<Checkpoint | undefined>
    /** The highest position written so far (0 for an empty log): how far readers have to go. */
    readonly headPosition: Effect.Effect<number>
    /**
     * Resolves after a new append is known of (true), or after `timeoutMillis` at the
     * latest (false).
     */
    readonly awaitAppend: (timeoutMillis: number) => Effect.Effect<boolean>
    readonly loadSnapshot: (streamId: string) => Effect.Effect<Snapshot | undefined>
    readonly saveSnapshot: (snapshot: Snapshot) => Effect.Effect<void>
  }
>()("tenantry/application/ports/EventStore") {}
