import type { Decider } from "../shared/decider.ts"
import type { WebhookCommand } from "./commands.ts"
import { decide, type WebhookError } from "./decide.ts"
import type { WebhookEvent } from "./events.ts"
import { evolve, initialState, type WebhookState } from "./state.ts"

export * from "./commands.ts"
export type { WebhookError } from "./decide.ts"
export * from "./errors.ts"
export * from "./events.ts"
export * from "./state.ts"

/** One provider cache-refresh webhook: created, its secret regenerated, deleted. */
export const webhookDecider: Decider<WebhookCommand, WebhookEvent, WebhookState, WebhookError> = {
  initialState,
  decide,
  evolve
}

export const webhookStream = (webhookId: string): string => `webhook-${webhookId}`
