import { Effect, Option, Stream } from "effect"
import { InvalidInput } from "../context.ts"
import { type Checkpoint, EventStore, type RecordedEvent, startOfLog } from "../ports/EventStore.ts"

export interface FollowOptions {
  /** Events per read (one query each). */
  readonly batchSize?: number
  /** Longest wait for news before reading again; appends here, or heard of by NOTIFY, wake it sooner. */
  readonly pollMillis?: number
}

/** Which tenants' events a feed carries: every tenant's (undefined), or those named, asked again when idle. */
export type FeedScope = Effect.Effect<ReadonlyArray<string> | undefined>

interface Position {
  readonly checkpoint: Checkpoint
  readonly idleMillis: number
}

/**
 * The log after `start`, oldest first in its commit-safe order (`readAll`: the same for every
 * reader, and never past an event a running transaction may still commit before), then live:
 * once caught up it waits for news (an append here, another node's NOTIFY) and polls as a
 * fallback, soon after an empty read (a commit can hide behind a running transaction), then
 * less often, as the projectors do. Each element is one read's events of the scope, never
 * empty. Pull-based: the next read happens only once the consumer took the last batch, so a
 * slow consumer paces it and nothing piles up in memory.
 */
export const followLog = (start: Checkpoint, scope: FeedScope, options: FollowOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const batchSize = options.batchSize ?? 1_000
    const pollMillis = options.pollMillis ?? 1_000
    let tenants = yield* scope
    const next = (at: Position) =>
      Effect.gen(function* () {
        if (tenants !== undefined && tenants.length === 0) {
          yield* store.awaitAppend(pollMillis)
          tenants = yield* scope
          return [[], Option.some(at)] as const
        }
        const batch = yield* store.readAll(
          at.checkpoint,
          batchSize,
          tenants === undefined ? undefined : { tenantIds: tenants }
        )
        if (batch.events.length > 0) {
          return [[batch.events], Option.some({ checkpoint: batch.checkpoint, idleMillis: 1 })] as const
        }
        const news = yield* store.awaitAppend(at.idleMillis)
        // Caught up: who may see what can have changed (a new tenant, a membership ended).
        tenants = yield* scope
        return [
          [],
          Option.some({
            checkpoint: at.checkpoint,
            idleMillis: news ? 1 : Math.min(at.idleMillis * 2, pollMillis)
          })
        ] as const
      })
    return Stream.paginate<Position, ReadonlyArray<RecordedEvent>>({ checkpoint: start, idleMillis: 1 }, next)
  })

/**
 * Where a consumer that last saw event `after` resumes: right after that event in the log's
 * order (0 or none: the start). An id no event has is invalid input.
 */
export const resumeFrom = (after: number | undefined, field: string) =>
  Effect.gen(function* () {
    if (after === undefined || after === 0) return startOfLog
    const store = yield* EventStore
    const checkpoint = yield* store.checkpointAt(after)
    if (checkpoint === undefined) {
      return yield* new InvalidInput({
        message: `No event has the id ${after}`,
        errors: { [field]: [`must be the id of an event (${after} is none)`] }
      })
    }
    return checkpoint
  })
