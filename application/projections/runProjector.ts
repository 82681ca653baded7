import { Duration, Effect, Schedule } from "effect"
import { type Checkpoint, EventStore } from "../ports/EventStore.ts"
import { ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"
import type { Projector } from "./Projector.ts"
import { ProjectionWaits } from "./projectionWaits.ts"

export interface RunOptions {
  readonly batchSize?: number
  /** Longest wait for news before reading again; appends on this node or NOTIFY wake it sooner. */
  readonly pollMillis?: number
  /** How often a node without the lease asks for it again. */
  readonly standbyMillis?: number
}

/**
 * Runs a projector for ever: take the lease, then read a batch after the checkpoint,
 * hand the relevant events over, save the checkpoint, and wait for news when caught
 * up. An empty read never stops it. A failing handler is logged and retried from the
 * same checkpoint, so nothing is skipped.
 */
export const runProjector = <R>(projector: Projector<R>, options: RunOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const checkpoints = yield* ProjectionCheckpoints
    const batchSize = options.batchSize ?? 500
    const pollMillis = options.pollMillis ?? 1000
    const waits = yield* Effect.serviceOption(ProjectionWaits)
    const progressed = (checkpoint: Checkpoint) =>
      waits._tag === "Some" ? waits.value.progressed(projector.name, checkpoint) : Effect.void

    const catchUp = Effect.gen(function* () {
      let checkpoint = yield* checkpoints.load(projector.name)
      let idleMillis = 1
      while (true) {
        const batch = yield* store.readAll(checkpoint, batchSize)
        if (batch.events.length === 0) {
          // An empty read right after news is often a commit still hidden behind another
          // transaction (readAll stops below the oldest one running), and the commit that
          // frees it may append nothing to wake us: look again soon, then less often.
          yield* store.awaitAppend(idleMillis)
          idleMillis = Math.min(idleMillis * 2, pollMillis)
          continue
        }
        idleMillis = 1
        const relevant = batch.events.filter((event) => projector.handles.has(event.type))
        if (relevant.length > 0) yield* projector.handle(relevant)
        yield* checkpoints.save(projector.name, batch.checkpoint)
        yield* progressed(batch.checkpoint)
        checkpoint = batch.checkpoint
      }
    })

    const leased = Effect.scoped(
      Effect.gen(function* () {
        const held = yield* checkpoints.lease(projector.name)
        if (!held) return yield* Effect.sleep(options.standbyMillis ?? 5000)
        return yield* catchUp
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
