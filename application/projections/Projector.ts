import type { Effect } from "effect"
import type { RecordedEvent } from "../ports/EventStore.ts"

/**
 * An async projection: a checkpointed subscriber over the whole log. Delivery is
 * at-least-once, so `handle` must be idempotent.
 */
export interface Projector<R = never> {
  readonly name: string
  readonly handles: ReadonlySet<string>
  readonly handle: (events: ReadonlyArray<RecordedEvent>) => Effect.Effect<void, unknown, R>
}
