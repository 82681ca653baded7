import { Clock, Duration, Effect, Schedule } from "effect"
import { type Checkpoint, EventStore } from "../ports/EventStore.ts"
import { type Lease, ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"
import type { Projector } from "./Projector.ts"
import { ProjectionWaits } from "./projectionWaits.ts"

export interface RunOptions {
  readonly batchSize?: number
  /** Longest wait for news before reading again; appends on this node or NOTIFY wake it sooner. */
  readonly pollMillis?: number
  /** Under continuous load, how often the checkpoint is stored (always when caught up). */
  readonly saveEveryMillis?: number
  /** How often a node without the lease asks for it again. */
  readonly standbyMillis?: number
}

/**
 * Runs a projector for ever: take the lease, then read a batch after the checkpoint,
 * hand the relevant events over, tell local waiters, and wait for news when caught up.
 * The checkpoint is stored when caught up and at most every `saveEveryMillis` under
 * load (other nodes' waiters see it then). An empty read never stops it. A failing
 * handler is logged and retried from the last stored checkpoint, so nothing is skipped;
 * projectors are idempotent, so redoing a few batches is harmless.
 *
 * A lost lease stops it at once, back to standby (asking for the lease again): when the
 * lease reports itself lost (its connection dropped, a newer holder or a reset), or when
 * a save is refused because another runner holds a newer lease. So a runner that lost
 * its lease without noticing handles at most the batch in hand before it stops, and its
 * checkpoint never lands over its successor's.
 */
export const runProjector = <R>(projector: Projector<R>, options: RunOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const checkpoints = yield* ProjectionCheckpoints
    const batchSize = options.batchSize ?? 500
    const pollMillis = options.pollMillis ?? 1000
    const saveEveryMillis = options.saveEveryMillis ?? 20
    const waits = yield* Effect.serviceOption(ProjectionWaits)
    const progressed = (checkpoint: Checkpoint) =>
      waits._tag === "Some" ? waits.value.progressed(projector.name, checkpoint) : Effect.void

    const catchUp = Effect.fnUntraced(function* (lease: Lease) {
      let checkpoint = yield* checkpoints.load(projector.name)
      let saved = checkpoint
      let savedAt = yield* Clock.currentTimeMillis
      let idleMillis = 1
      /** False when refused: another runner holds a newer lease. */
      const save = Effect.gen(function* () {
        if (saved === checkpoint) return true
        const refused = yield* checkpoints.save(lease, checkpoint).pipe(
          Effect.as(false),
          Effect.catchTag("LeaseLost", () => Effect.succeed(true))
        )
        if (refused) return false
        saved = checkpoint
        savedAt = yield* Clock.currentTimeMillis
        return true
      })
      const refused = "a save was refused: another runner holds a newer lease"
      while (true) {
        const batch = yield* store.readAll(checkpoint, batchSize)
        if (batch.events.length === 0) {
          if (!(yield* save)) return refused
          // An empty read right after news is often a commit still hidden behind another
          // transaction (readAll stops below the oldest one running), and the commit that
          // frees it may append nothing to wake us: look again soon, then less often. Every
          // piece of news starts that over: under steady load most reads are empty for this
          // reason, and a wait grown to a second would hold every delivery waiting on this
          // projector for a second, once the appends stop because they all wait.
          const news = yield* store.awaitAppend(idleMillis)
          idleMillis = news ? 1 : Math.min(idleMillis * 2, pollMillis)
          continue
        }
        idleMillis = 1
        const relevant = batch.events.filter((event) => projector.handles.has(event.type))
        if (relevant.length > 0) yield* projector.handle(relevant)
        checkpoint = batch.checkpoint
        // Waiters need the projection's effects, not the stored checkpoint: they hear
        // first. Under load the checkpoint is stored every `saveEveryMillis` and whenever
        // the projector catches up; a restart redoes at most that much, idempotently.
        yield* progressed(checkpoint)
        if ((yield* Clock.currentTimeMillis) - savedAt >= saveEveryMillis && !(yield* save)) return refused
      }
    })

    const leased = Effect.scoped(
      Effect.gen(function* () {
        const lease = yield* checkpoints.lease(projector.name)
        if (lease === undefined) return yield* Effect.sleep(options.standbyMillis ?? 5000)
        const why = yield* catchUp(lease).pipe(
          Effect.raceFirst(Effect.as(lease.lost, "the lease reported itself lost"))
        )
        yield* Effect.logWarning(
          `projector ${projector.name} stopped (epoch ${lease.epoch}): ${why}; standing by`
        )
      })
    )

    return yield* leased.pipe(
      Effect.tapCause((cause) => Effect.logWarning(`projector ${projector.name} failed; retrying`, cause)),
      Effect.retry(
        Schedule.exponential(100).pipe(
          Schedule.modifyDelay(({ output }) => Effect.succeed(Math.min(Duration.toMillis(output), 5000)))
        )
      ),
      Effect.forever
    )
  })
