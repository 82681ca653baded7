import { Context, Effect, Layer } from "effect"
import { type Checkpoint, EventStore } from "../ports/EventStore.ts"
import { ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"
import { isAtOrAfter } from "./runProjector.ts"

/**
 * Waiting until a projector has handled everything up to a checkpoint (on whichever
 * node runs it), for many waiters at once: they share one checkpoint read per few
 * milliseconds instead of each polling the database (200 concurrent webhook deliveries
 * would otherwise be 10,000 reads a second, starving the projector they wait for).
 */
export class ProjectionWaits extends Context.Service<
  ProjectionWaits,
  {
    /** True once projector `name` has handled everything up to `target`; false after `timeoutMillis`. */
    readonly reached: (name: string, target: Checkpoint, timeoutMillis: number) => Effect.Effect<boolean>
  }
>()("tenantry/application/ProjectionWaits") {
  static readonly layer = Layer.effect(
    ProjectionWaits,
    Effect.gen(function* () {
      const store = yield* EventStore
      const checkpoints = yield* ProjectionCheckpoints
      const loaders = new Map<string, Effect.Effect<Checkpoint>>()
      const loaderOf = (name: string) =>
        Effect.gen(function* () {
          const known = loaders.get(name)
          if (known !== undefined) return known
          const cached = yield* Effect.cachedWithTTL(checkpoints.load(name), "5 millis")
          loaders.set(name, cached)
          return cached
        })
      const reached = (name: string, target: Checkpoint, timeoutMillis: number) =>
        Effect.gen(function* () {
          const load = yield* loaderOf(name)
          while (!isAtOrAfter(yield* load, target)) yield* store.awaitAppend(10)
          return true
        }).pipe(
          Effect.timeoutOption(timeoutMillis),
          Effect.map((outcome) => outcome._tag === "Some")
        )
      return ProjectionWaits.of({ reached })
    })
  )
}
