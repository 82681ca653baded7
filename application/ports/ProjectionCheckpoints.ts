import { Context, type Effect, type Scope } from "effect"
import type { Checkpoint } from "./EventStore.ts"

/** Where each async projector stands in the log, and who may run it. */
export class ProjectionCheckpoints extends Context.Service<
  ProjectionCheckpoints,
  {
    readonly load: (name: string) => Effect.Effect<Checkpoint>
    readonly save: (name: string, checkpoint: Checkpoint) => Effect.Effect<void>
    /**
     * Tries to become the one runner of `name` across every node, for as long as the
     * scope stays open. False means another node holds it.
     */
    readonly lease: (name: string) => Effect.Effect<boolean, never, Scope.Scope>
  }
>()("tenantry/application/ports/ProjectionCheckpoints") {}
