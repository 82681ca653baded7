import { Context, type Effect, Schema, type Scope } from "effect"
import type { Checkpoint } from "./EventStore.ts"

/** Another runner holds the projector's lease now (or it was reset): this one must stop. */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  name: Schema.String,
  epoch: Schema.Number
}) {}

/** The right to run one projector, held by one runner across every node at a time. */
export interface Lease {
  readonly name: string
  /** The fencing token: every new holder gets a greater one; saves carry it. */
  readonly epoch: number
  /**
   * Completes when the lease is known to be lost before a save says so (its connection to
   * the storage dropped, or a newer holder or a reset showed up): stop at once.
   */
  readonly lost: Effect.Effect<void>
}

/** Where each async projector stands in the log, and who may run it. */
export class ProjectionCheckpoints extends Context.Service<
  ProjectionCheckpoints,
  {
    readonly load: (name: string) => Effect.Effect<Checkpoint>
    /**
     * Stores the checkpoint of `lease`'s projector, if `lease` is still the newest: a
     * stale holder's save is refused with `LeaseLost` (fencing), whatever the timing. Never
     * moves the checkpoint backwards (a save behind the stored one changes nothing).
     */
    readonly save: (lease: Lease, checkpoint: Checkpoint) => Effect.Effect<void, LeaseLost>
    /**
     * Tries to become the one runner of `name` across every node, for as long as the scope
     * stays open (closing it releases the lease); `undefined` means another runner holds it.
     */
    readonly lease: (name: string) => Effect.Effect<Lease | undefined, never, Scope.Scope>
    /**
     * Moves `name` back to the start of the log (a replay) and fences off its current
     * holder, which stops and, holding the lease anew, starts from there.
     */
    readonly reset: (name: string) => Effect.Effect<void>
  }
>()("tenantry/application/ports/ProjectionCheckpoints") {}
