import { Clock, Effect, Schema } from "effect"
import type { Actor, EventMetadata } from "../ports/EventStore.ts"

/** Who is asking and under which request id: becomes every event's metadata. */
export interface RequestContext {
  readonly actor: Actor
  readonly requestId: string
}

export const metadataOf = (context: RequestContext): EventMetadata => ({
  actor: context.actor,
  requestId: context.requestId,
  correlationId: context.requestId
})

/** The decision's instant, from Effect's Clock so tests can steer it. */
export const now = Clock.currentTimeMillis.pipe(Effect.map((millis) => new Date(millis).toISOString()))

/** Input that passed the wire schema but breaks a rule across fields; `errors` is field → messages. */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  errors: Schema.Record(Schema.String, Schema.Array(Schema.String))
}) {}

export class SlugTaken extends Schema.TaggedError<SlugTaken>()("SlugTaken", { slug: Schema.String }) {}

export class PlanLimitReached extends Schema.TaggedError<PlanLimitReached>()("PlanLimitReached", {
  plan: Schema.String,
  maxTenants: Schema.Number
}) {}
