import { Clock, Context, Deferred, Effect, Layer } from "effect"
import { type Checkpoint, EventStore } from "../ports/EventStore.ts"
import { ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"

const isAtOrAfter = (checkpoint: Checkpoint, target: Checkpoint): boolean =>
  checkpoint.transactionId > target.transactionId ||
  (checkpoint.transactionId === target.transactionId && checkpoint.position >= target.position)

/** How long after its last report a projector on this node is still trusted to report. */
const localTrustMillis = 250
/** How often waiters of a projector running elsewhere read its stored checkpoint (shared). */
const remotePollMillis = 5

interface Waiter {
  readonly target: Checkpoint
  readonly done: Deferred.Deferred<void>
}

interface Progress {
  checkpoint: Checkpoint
  reportedAt: number
  readonly waiters: Set<Waiter>
  polling: boolean
}

/**
 * Waiting until a projector has handled everything up to a checkpoint, for many waiters
 * at once. A projector running on this node reports each batch it has handled, which
 * releases its waiters at once with no database read. For a projector leased by another
 * node (or one that has stopped reporting), one poller per projector reads the stored
 * checkpoint every few milliseconds for all its waiters (200 concurrent webhook
 * deliveries polling on their own would be 10,000 reads a second, starving the
 * projector they wait for).
 */
export class ProjectionWaits extends Context.Service<
  ProjectionWaits,
  {
    /** True once projector `name` has handled everything up to `target`; false after `timeoutMillis`. */
    readonly reached: (name: string, target: Checkpoint, timeoutMillis: number) => Effect.Effect<boolean>
    /** Called by a projector running here once it has handled everything up to `checkpoint`. */
    readonly progressed: (name: string, checkpoint: Checkpoint) => Effect.Effect<void>
  }
>()("tenantry/application/ProjectionWaits") {
  static readonly layer = Layer.effect(
    ProjectionWaits,
    Effect.gen(function* () {
      const store = yield* EventStore
      const checkpoints = yield* ProjectionCheckpoints
      const projectors = new Map<string, Progress>()

      const progressOf = (name: string) => {
        let progress = projectors.get(name)
        if (progress === undefined) {
          progress = {
            checkpoint: { transactionId: 0, position: 0 },
            reportedAt: Number.NEGATIVE_INFINITY,
            waiters: new Set(),
            polling: false
          }
          projectors.set(name, progress)
        }
        return progress
      }

      const release = (progress: Progress, checkpoint: Checkpoint) => {
        for (const waiter of progress.waiters) {
          if (isAtOrAfter(checkpoint, waiter.target)) {
            progress.waiters.delete(waiter)
            Deferred.doneUnsafe(waiter.done, Effect.void)
          }
        }
      }

      const progressed = (name: string, checkpoint: Checkpoint) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            const progress = progressOf(name)
            progress.checkpoint = checkpoint
            progress.reportedAt = now
            release(progress, checkpoint)
          })
        )

      /** While anyone waits and no local projector reports, reads the stored checkpoint for all. */
      const poll = (name: string, progress: Progress): Effect.Effect<void> =>
        Effect.gen(function* () {
          while (progress.waiters.size > 0) {
            yield* store.awaitAppend(remotePollMillis)
            if ((yield* Clock.currentTimeMillis) - progress.reportedAt < localTrustMillis) continue
            release(progress, yield* checkpoints.load(name))
          }
        }).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              progress.polling = false
            })
          )
        )

      const reached = (name: string, target: Checkpoint, timeoutMillis: number) =>
        Effect.suspend(() => {
          const progress = progressOf(name)
          if (isAtOrAfter(progress.checkpoint, target)) return Effect.succeed(true)
          const waiter: Waiter = { target, done: Deferred.makeUnsafe<void>() }
          progress.waiters.add(waiter)
          const startPoller = progress.polling
            ? Effect.void
            : Effect.suspend(() => {
                progress.polling = true
                return Effect.asVoid(Effect.forkDetach(poll(name, progress)))
              })
          return Effect.andThen(startPoller, Deferred.await(waiter.done)).pipe(
            Effect.timeoutOption(timeoutMillis),
            Effect.map((outcome) => outcome._tag === "Some"),
            Effect.ensuring(Effect.sync(() => progress.waiters.delete(waiter)))
          )
        })

      return ProjectionWaits.of({ reached, progressed })
    })
  )
}
