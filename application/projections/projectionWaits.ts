import { Context, Deferred, Effect, Layer } from "effect"
import { type Checkpoint, EventStore } from "../ports/EventStore.ts"
import { ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"

export const isAtOrAfter = (checkpoint: Checkpoint, target: Checkpoint): boolean =>
  checkpoint.transactionId > target.transactionId ||
  (checkpoint.transactionId === target.transactionId && checkpoint.position >= target.position)

/**
 * Waiting until a projector has handled everything up to a checkpoint, for many waiters
 * at once. A projector running on this node reports each checkpoint it saves, which
 * wakes its waiters at once with no database read. For a projector leased by another
 * node, waiters share one checkpoint read per few milliseconds instead of each polling
 * the database (200 concurrent webhook deliveries would otherwise be 10,000 reads a
 * second, starving the projector they wait for).
 */
export class ProjectionWaits extends Context.Service<
  ProjectionWaits,
  {
    /** True once projector `name` has handled everything up to `target`; false after `timeoutMillis`. */
    readonly reached: (name: string, target: Checkpoint, timeoutMillis: number) => Effect.Effect<boolean>
    /** Called by a projector running here after it saved `checkpoint`. */
    readonly progressed: (name: string, checkpoint: Checkpoint) => Effect.Effect<void>
  }
>()("tenantry/application/ProjectionWaits") {
  static readonly layer = Layer.effect(
    ProjectionWaits,
    Effect.gen(function* () {
      const store = yield* EventStore
      const checkpoints = yield* ProjectionCheckpoints
      const loaders = new Map<string, Effect.Effect<Checkpoint>>()
      const local = new Map<string, { checkpoint: Checkpoint; next: Deferred.Deferred<void> }>()

      const localOf = (name: string) => {
        let known = local.get(name)
        if (known === undefined) {
          known = { checkpoint: { transactionId: 0, position: 0 }, next: Deferred.makeUnsafe<void>() }
          local.set(name, known)
        }
        return known
      }

      const loaderOf = (name: string) =>
        Effect.gen(function* () {
          const known = loaders.get(name)
          if (known !== undefined) return known
          const cached = yield* Effect.cachedWithTTL(checkpoints.load(name), "5 millis")
          loaders.set(name, cached)
          return cached
        })

      const progressed = (name: string, checkpoint: Checkpoint) =>
        Effect.suspend(() => {
          const known = localOf(name)
          known.checkpoint = checkpoint
          const woken = known.next
          known.next = Deferred.makeUnsafe<void>()
          return Deferred.succeed(woken, undefined)
        }).pipe(Effect.asVoid)

      const reached = (name: string, target: Checkpoint, timeoutMillis: number) =>
        Effect.gen(function* () {
          const load = yield* loaderOf(name)
          while (true) {
            const known = localOf(name)
            if (isAtOrAfter(known.checkpoint, target)) return true
            if (isAtOrAfter(yield* load, target)) return true
            // The local projector's next save, this node's next append, or a poll.
            yield* Effect.raceFirst(Deferred.await(known.next), store.awaitAppend(10))
          }
        }).pipe(
          Effect.timeoutOption(timeoutMillis),
          Effect.map((outcome) => outcome._tag === "Some")
        )
      return ProjectionWaits.of({ reached, progressed })
    })
  )
}
