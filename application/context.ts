import { Clock, Effect, Schema } from "effect"
import { actorOf, type Principal } from "./auth/principal.ts"
import type { EventMetadata } from "./ports/EventStore.ts"

/** Who is asking, and under which request id: every use case's first argument. */
export interface RequestContext {
  readonly principal: Principal
  readonly requestId: string
}

export const metadataOf = (context: RequestContext): EventMetadata => ({
  actor: actorOf(context.principal),
  requestId: context.requestId,
  correlationId: context.requestId
})

/** The decision's instant, from Effect's Clock so tests can steer it. */
export const now = Clock.currentTimeMillis.pipe(Effect.map((millis) => new Date(millis).toISOString()))

/** Input that passed the wire schema but breaks a rule across fields; `errors` is field → messages. */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  errors: Schema.Record(Schema.String, Schema.Array(Schema.String))
}) {
  readonly code = "invalid_input"
}

export class SlugAlreadyUsed extends Schema.TaggedError<SlugAlreadyUsed>()("SlugAlreadyUsed", {
  slug: Schema.String
}) {
  readonly code = "slug_taken"
}

export class PlanLimitReached extends Schema.TaggedError<PlanLimitReached>()("PlanLimitReached", {
  plan: Schema.String,
  maxTenants: Schema.Number
}) {
  readonly code = "plan_limit"
}
