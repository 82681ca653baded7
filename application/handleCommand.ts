import { Context, Effect, Layer, Predicate, Schema } from "effect"
import { type Decider, fold } from "../domain/shared/decider.ts"
import {
  type EventMetadata,
  EventStore,
  type NewEvent,
  type RecordedEvent,
  type UniqueKeyTaken
} from "./ports/EventStore.ts"
import { makeStreamLocks } from "./streamLocks.ts"

/** An aggregate as the command handler needs it: its decider, codec and snapshot policy. */
export interface Aggregate<C, E, S, F> {
  readonly decider: Decider<C, E, S, F>
  readonly encode: (event: E) => NewEvent
  readonly decode: (stored: RecordedEvent) => E
  /** Snapshots taken under another version are ignored. */
  readonly stateVersion: number
  /** Take a snapshot once this many events have followed the last one. */
  readonly snapshotEvery: number
}

/** Retries ran out: the stream kept changing under us. */
export class ConcurrencyConflict extends Schema.TaggedError<ConcurrencyConflict>()("ConcurrencyConflict", {
  streamId: Schema.String
}) {}

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

const maxAttempts = 5

/** Rebuilds an aggregate: the newest usable snapshot, then the events after it. */
export const loadAggregate = Effect.fnUntraced(function* <C, E, S, F>(
  aggregate: Aggregate<C, E, S, F>,
  streamId: string
) {
  const store = yield* EventStore
  const snapshot = yield* store.loadSnapshot(streamId)
  const usable =
    snapshot !== undefined && snapshot.stateVersion === aggregate.stateVersion ? snapshot : undefined
  const from = usable === undefined ? aggregate.decider.initialState : (usable.state as S)
  const fromVersion = usable?.streamVersion ?? 0
  const tail = yield* store.readStream(streamId, fromVersion + 1)
  const state = fold(aggregate.decider, tail.map(aggregate.decode), from)
  return { state, version: fromVersion + tail.length, snapshotVersion: fromVersion } satisfies Loaded<S>
})

/**
 * Load → decide → append with the expected version. A lost race reloads and decides
 * again, a bounded number of times. `toCommand` sees the current state, so requests
 * that merge into it (partial updates) are built against what they will change.
 */
export class CommandHandler extends Context.Service<
  CommandHandler,
  {
    readonly handle: <C, E, S, F, F2 = never>(
      aggregate: Aggregate<C, E, S, F>,
      target: { readonly streamId: string; readonly tenantId: string; readonly metadata: EventMetadata },
      toCommand: (state: S) => Effect.Effect<C, F2>
    ) => Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken>
  }
>()("tenantry/application/CommandHandler") {
  static readonly layer = Layer.effect(
    CommandHandler,
    Effect.gen(function* () {
      const store = yield* EventStore
      const withStreamLock = makeStreamLocks()

      const handle = <C, E, S, F, F2 = never>(
        aggregate: Aggregate<C, E, S, F>,
        target: { readonly streamId: string; readonly tenantId: string; readonly metadata: EventMetadata },
        toCommand: (state: S) => Effect.Effect<C, F2>
      ): Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken> => {
        const attempt = Effect.gen(function* () {
          const loaded = yield* loadAggregate(aggregate, target.streamId).pipe(
            Effect.provideService(EventStore, store)
          )
          const command = yield* toCommand(loaded.state)
          const decided = yield* Effect.fromResult(aggregate.decider.decide(command, loaded.state))
          if (decided.length === 0)
            return { state: loaded.state, version: loaded.version, events: [], decided }
          const appended = yield* store.append({
            streamId: target.streamId,
            tenantId: target.tenantId,
            expectedVersion: loaded.version,
            events: decided.map(aggregate.encode),
            metadata: target.metadata
          })
          const state = fold(aggregate.decider, decided, loaded.state)
          if (appended.nextVersion - loaded.snapshotVersion >= aggregate.snapshotEvery) {
            yield* store.saveSnapshot({
              streamId: target.streamId,
              streamVersion: appended.nextVersion,
              stateVersion: aggregate.stateVersion,
              state
            })
          }
          return { state, version: appended.nextVersion, events: appended.events, decided }
        })
        const retried = attempt.pipe(
          Effect.retry({ times: maxAttempts - 1, while: (error) => isVersionConflict(error) }),
          Effect.catchIf(isVersionConflict, () =>
            Effect.fail(new ConcurrencyConflict({ streamId: target.streamId }))
          )
        ) as Effect.Effect<Handled<E, S>, F | F2 | ConcurrencyConflict | UniqueKeyTaken>
        return withStreamLock(target.streamId, retried)
      }

      return CommandHandler.of({ handle })
    })
  )
}

const isVersionConflict = (error: unknown): boolean => Predicate.isTagged(error, "VersionConflict")
