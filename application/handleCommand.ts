import { type Cause, Context, Deferred, Effect, Exit, Layer, Predicate, Result, Schema } from "effect"
import { type Decider, fold } from "../domain/shared/decider.ts"
import type { EventCodec } from "./events/codec.ts"
import { microBatch } from "./microBatch.ts"
import {
  type AppendRequest,
  type AppendResult,
  type EventMetadata,
  EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamGuard,
  type UniqueKeyTaken,
  type VersionConflict
} from "./ports/EventStore.ts"

/** An aggregate as the command handler needs it: its decider, codec, loading and snapshot policy. */
export interface Aggregate<C, E extends { readonly _tag: string }, S, F> {
  /** For logs and errors: `tenant`, `membership`, … */
  readonly name: string
  readonly decider: Decider<C, E, S, F>
  readonly codec: EventCodec<E>
  /**
   * `fold`: the newest usable snapshot, then every event after it. `lastEvent`: the last
   * event alone, for streams whose events carry the whole state (cache versions).
   */
  readonly load: "fold" | "lastEvent"
  /** Snapshots taken under another version are ignored. */
  readonly stateVersion: number
  /** Take a snapshot once this many events have followed the last one (Infinity: never). */
  readonly snapshotEvery: number
  /** The state to and from JSON for snapshots (identity when it is plain JSON already). */
  readonly snapshot?: {
    readonly encode: (state: S) => unknown
    readonly decode: (json: unknown) => S
  }
}

// Any aggregate, with its types erased (queues and caches hold several kinds).
type AnyAggregate = Aggregate<unknown, { readonly _tag: string }, unknown, unknown>

/**
 * What a command may consult besides its own stream's state: another aggregate's state,
 * read through the handler's cache. Every stream read this way guards the append: it
 * goes through only if that stream has not moved since (see `StreamGuard`).
 */
export interface CommandContext {
  readonly read: <C2, E2 extends { readonly _tag: string }, S2, F2>(
    aggregate: Aggregate<C2, E2, S2, F2>,
    streamId: string
  ) => Effect.Effect<S2>
}

/** Retries ran out: the stream kept changing under us. */
export class ConcurrencyConflict extends Schema.TaggedError<ConcurrencyConflict>()("ConcurrencyConflict", {
  streamId: Schema.String
}) {
  readonly code = "concurrency_conflict"
}

export interface Loaded<S> {
  readonly state: S
  readonly version: number
  readonly snapshotVersion: number
}

export interface Handled<E, S> {
  readonly state: S
  readonly version: number
  readonly events: ReadonlyArray<RecordedEvent>
  readonly decided: ReadonlyArray<E>
}

export interface Target {
  readonly streamId: string
  readonly tenantId: string
  readonly metadata: EventMetadata
}

const maxAttempts = 5
const cachedStreams = 10_000
/** Cross-stream flushes running at once: one filling while one commits. */
const maxFlushesInFlight = 2
/** The most streams one cross-stream transaction takes. */
const maxStreamsPerFlush = 256

/** Rebuilds an aggregate: its last event alone, or the newest usable snapshot and the events after it. */
export const loadAggregate = Effect.fnUntraced(function* <C, E extends { readonly _tag: string }, S, F>(
  aggregate: Aggregate<C, E, S, F>,
  streamId: string
) {
  const store = yield* EventStore
  if (aggregate.load === "lastEvent") {
    const last = yield* store.readLastEvent(streamId)
    const state =
      last === undefined
        ? aggregate.decider.initialState
        : aggregate.decider.evolve(aggregate.decider.initialState, aggregate.codec.decode(last))
    const version = last?.streamVersion ?? 0
    return { state, version, snapshotVersion: version } satisfies Loaded<S>
  }
  const snapshot = yield* store.loadSnapshot(streamId)
  const usable =
    snapshot !== undefined && snapshot.stateVersion === aggregate.stateVersion ? snapshot : undefined
  const from =
    usable === undefined
      ? aggregate.decider.initialState
      : aggregate.snapshot === undefined
        ? (usable.state as S)
        : aggregate.snapshot.decode(usable.state)
  const fromVersion = usable?.streamVersion ?? 0
  const tail = yield* store.readStream(streamId, fromVersion + 1)
  const state = fold(aggregate.decider, tail.map(aggregate.codec.decode), from)
  return { state, version: fromVersion + tail.length, snapshotVersion: fromVersion } satisfies Loaded<S>
})

// One waiting command; its types are erased inside a stream's queue, where every
// request shares the stream's aggregate.
interface Pending {
  readonly aggregate: AnyAggregate
  readonly target: Target
  readonly toCommand: (state: unknown, context: CommandContext) => Effect.Effect<unknown, unknown>
  readonly done: Deferred.Deferred<Handled<unknown, unknown>, unknown>
}

interface Decided {
  readonly pending: Pending
  readonly decided: ReadonlyArray<unknown>
  readonly stateAfter: unknown
  /** Where its events start in the batch's append. */
  readonly offset: number
}

/**
 * Load → decide → append with the expected version, with group commit at two levels.
 *
 * Per stream: commands for one stream queue in this process. Whoever finds the queue
 * idle drains it: every command waiting is decided in turn against the state the
 * previous one left, and all their events go out in ONE append request (each event
 * keeping its own request's metadata), so N concurrent commands on a hot tenant cost
 * one append, not N. The state after a successful append is cached per stream, so a
 * hot stream is not reloaded either; another node's append shows up as a version
 * conflict, which empties the cache, reloads and decides again, a bounded number of
 * times. A batch whose append is refused for a rule (a taken slug) is retried one
 * command at a time, so only the offending command fails. `toCommand` sees the
 * current state, so requests that merge into it (partial updates) are built against
 * what they change.
 *
 * Across streams: a decided batch does not append by itself; it hands its request to
 * one process-wide append pipeline and waits for its own answer. The pipeline starts a
 * flush whenever fewer than two are running, taking every request waiting (each
 * stream has at most one, since its queue is drained one batch at a time): idle, a
 * request goes out at once, alone (`append`); busy, the requests that arrive while a
 * transaction commits go together in the next one (`appendMany`), so concurrent
 * commands on N different tenants cost far fewer than N transactions. Each request is
 * still checked against its own stream's version: a conflict comes back to that
 * stream alone, which reloads and decides again as above. When a cross-stream
 * transaction is refused as a whole for a rule (a taken slug), nothing of it was
 * written, and its requests are appended again one by one, so only the offending
 * stream's batch sees the refusal.
 */
export class CommandHandler extends Context.Service<
  CommandHandler,
  {
    readonly handle: <C, E extends { readonly _tag: string }, S, F, F2 = never>(
      aggregate: Aggregate<C, E, S, F>,
      target: Target,
      toCommand: (state: S, context: CommandContext) => Effect.Effect<C, F2>
    ) => Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken>
    /** An aggregate's current state as this node knows it (cached after its own appends). */
    readonly load: <C, E extends { readonly _tag: string }, S, F>(
      aggregate: Aggregate<C, E, S, F>,
      streamId: string
    ) => Effect.Effect<Loaded<S>>
  }
>()("tenantry/application/CommandHandler") {
  static readonly layer = Layer.effect(
    CommandHandler,
    Effect.gen(function* () {
      const store = yield* EventStore
      const queues = new Map<string, Array<Pending>>()
      const cache = new Map<string, Loaded<unknown>>()

      type AppendExit = Exit.Exit<AppendResult, VersionConflict | UniqueKeyTaken>

      /** Appends one flush's requests: alone, together, or (a rule refused them together) one by one. */
      const appendTogether = (
        requests: ReadonlyArray<AppendRequest>
      ): Effect.Effect<ReadonlyArray<AppendExit>> =>
        Effect.gen(function* () {
          if (requests.length === 1) return [yield* Effect.exit(store.append(requests[0]!))]
          const outcomes = yield* Effect.exit(store.appendMany(requests))
          if (Exit.isSuccess(outcomes)) {
            return outcomes.value.map(
              (outcome): AppendExit =>
                Result.isSuccess(outcome) ? Exit.succeed(outcome.success) : Exit.fail(outcome.failure)
            )
          }
          if (outcomes.cause.reasons.some((reason) => reason._tag === "Fail")) {
            // Refused as a whole (UniqueKeyTaken): nothing was written; find the one to blame.
            return yield* Effect.forEach(requests, (request) => Effect.exit(store.append(request)))
          }
          return yield* Effect.failCause(outcomes.cause as Cause.Cause<never>)
        })

      /** The process-wide append pipeline: answers each request with its own outcome. */
      const pipeline = microBatch(appendTogether, {
        maxInFlight: maxFlushesInFlight,
        maxBatch: maxStreamsPerFlush
      })
      const submit = (request: AppendRequest) => Effect.flatMap(pipeline(request), (exit) => exit)

      const remember = (streamId: string, loaded: Loaded<unknown>) => {
        cache.delete(streamId)
        cache.set(streamId, loaded)
        if (cache.size > cachedStreams) cache.delete(cache.keys().next().value as string)
      }

      const load = (aggregate: AnyAggregate, streamId: string) => {
        const cached = cache.get(streamId)
        return cached !== undefined
          ? Effect.succeed(cached)
          : loadAggregate(aggregate, streamId).pipe(
              Effect.tap((loaded) => Effect.sync(() => remember(streamId, loaded))),
              Effect.provideService(EventStore, store)
            )
      }

      /**
       * Decides each command in turn; failures answer their own caller and are left out.
       * The streams the commands read besides their own become the append's guards.
       */
      const decideAll = (batch: ReadonlyArray<Pending>, loaded: Loaded<unknown>) =>
        Effect.gen(function* () {
          let state = loaded.state
          const accepted: Array<Decided> = []
          const events: Array<NewEvent> = []
          const guards = new Map<string, StreamGuard>()
          const context: CommandContext = {
            read: (aggregate, streamId) =>
              Effect.map(load(aggregate as unknown as AnyAggregate, streamId), (other) => {
                guards.set(`${streamId}\u0000${other.version}`, { streamId, version: other.version })
                return other.state
              }) as Effect.Effect<never>
          }
          for (const pending of batch) {
            const exit = yield* Effect.exit(
              Effect.flatMap(pending.toCommand(state, context), (command) =>
                Effect.fromResult(pending.aggregate.decider.decide(command, state))
              )
            )
            if (Exit.isFailure(exit)) {
              yield* Deferred.done(pending.done, exit as Exit.Exit<never, unknown>)
              continue
            }
            const stateAfter = fold(pending.aggregate.decider, exit.value, state)
            accepted.push({ pending, decided: exit.value, stateAfter, offset: events.length })
            for (const event of exit.value) {
              events.push({
                ...pending.aggregate.codec.encode(event as { readonly _tag: string }),
                metadata: pending.target.metadata
              })
            }
            state = stateAfter
          }
          return { accepted, events, state, guards: [...guards.values()] }
        })

      const commit = (batch: ReadonlyArray<Pending>, attempt: number): Effect.Effect<void> =>
        Effect.gen(function* () {
          const first = batch[0]!
          const { streamId, tenantId, metadata } = first.target
          const loadedExit = yield* Effect.exit(load(first.aggregate, streamId))
          if (Exit.isFailure(loadedExit)) {
            yield* Effect.forEach(
              batch,
              (pending) => Deferred.done(pending.done, loadedExit as Exit.Exit<never>),
              { discard: true }
            )
            return
          }
          const loaded = loadedExit.value
          const { accepted, events, state, guards } = yield* decideAll(batch, loaded)
          if (events.length === 0) {
            yield* Effect.forEach(
              accepted,
              ({ pending, decided, stateAfter }) =>
                Deferred.succeed(pending.done, {
                  state: stateAfter,
                  version: loaded.version,
                  events: [],
                  decided
                }),
              { discard: true }
            )
            return
          }
          const appended = yield* Effect.exit(
            submit({
              streamId,
              tenantId,
              expectedVersion: loaded.version,
              events,
              metadata,
              ...(guards.length === 0 ? {} : { guards })
            })
          )
          if (Exit.isFailure(appended)) {
            // Whichever stream moved (its own or one it read), none of them is known any more.
            cache.delete(streamId)
            for (const guard of guards) cache.delete(guard.streamId)
            const failure = appended.cause.reasons.find((reason) => reason._tag === "Fail")
            const error = failure?._tag === "Fail" ? failure.error : undefined
            const retry = accepted.map(({ pending }) => pending)
            if (Predicate.isTagged(error, "VersionConflict")) {
              if (attempt + 1 < maxAttempts) return yield* commit(retry, attempt + 1)
              const conflict = Exit.fail(new ConcurrencyConflict({ streamId }))
              yield* Effect.forEach(retry, (pending) => Deferred.done(pending.done, conflict), {
                discard: true
              })
              return
            }
            if (retry.length > 1) {
              // Find the one command the rule refuses; the others go through.
              yield* Effect.forEach(retry, (pending) => commit([pending], attempt), { discard: true })
              return
            }
            yield* Deferred.done(retry[0]!.done, appended as Exit.Exit<never, unknown>)
            return
          }
          const nextVersion = appended.value.nextVersion
          remember(streamId, { state, version: nextVersion, snapshotVersion: loaded.snapshotVersion })
          if (nextVersion - loaded.snapshotVersion >= first.aggregate.snapshotEvery) {
            const snapshot = first.aggregate.snapshot
            yield* store.saveSnapshot({
              streamId,
              streamVersion: nextVersion,
              stateVersion: first.aggregate.stateVersion,
              state: snapshot === undefined ? state : snapshot.encode(state)
            })
            remember(streamId, { state, version: nextVersion, snapshotVersion: nextVersion })
          }
          yield* Effect.forEach(
            accepted,
            ({ pending, decided, stateAfter, offset }) =>
              Deferred.succeed(pending.done, {
                state: stateAfter,
                version: loaded.version + offset + decided.length,
                events: appended.value.events.slice(offset, offset + decided.length),
                decided
              }),
            { discard: true }
          )
        })

      /** Runs batches for a stream until its queue is empty. */
      const drain = (streamId: string): Effect.Effect<void> =>
        Effect.gen(function* () {
          while (true) {
            const queue = queues.get(streamId)
            if (queue === undefined || queue.length === 0) {
              queues.delete(streamId)
              return
            }
            const batch = queue.splice(0, queue.length)
            yield* commit(batch, 0).pipe(
              Effect.catchCause((cause) =>
                Effect.forEach(batch, (pending) => Deferred.failCause(pending.done, cause), { discard: true })
              )
            )
          }
        })

      const handle = <C, E extends { readonly _tag: string }, S, F, F2 = never>(
        aggregate: Aggregate<C, E, S, F>,
        target: Target,
        toCommand: (state: S, context: CommandContext) => Effect.Effect<C, F2>
      ): Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken> =>
        Effect.gen(function* () {
          const done = yield* Deferred.make<Handled<unknown, unknown>, unknown>()
          const pending: Pending = {
            aggregate: aggregate as unknown as AnyAggregate,
            target,
            toCommand: toCommand as Pending["toCommand"],
            done
          }
          const queue = queues.get(target.streamId)
          if (queue === undefined) {
            queues.set(target.streamId, [pending])
            // The drain belongs to no single caller: one caller giving up must not strand the
            // rest. It starts at once (see microBatch): a hop through the scheduler is a turn
            // of the event loop.
            yield* Effect.forkDetach(drain(target.streamId), { startImmediately: true })
          } else {
            queue.push(pending)
          }
          return (yield* Deferred.await(done)) as Handled<E, S>
        }) as Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken>

      return CommandHandler.of({
        handle,
        load: (aggregate, streamId) =>
          load(aggregate as unknown as AnyAggregate, streamId) as Effect.Effect<never>
      })
    })
  )
}
