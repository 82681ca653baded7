import type { Decider } from "../shared/decider.ts"
import type { QuotaCommand } from "./commands.ts"
import { decide, type QuotaError } from "./decide.ts"
import type { QuotaEvent } from "./events.ts"
import { evolve, initialState, type QuotaState } from "./state.ts"

export * from "./commands.ts"
export type { QuotaError } from "./decide.ts"
export * from "./events.ts"
export * from "./state.ts"

/**
 * A tenant's monthly quota crossings: a stream of its own, written by Tenantry after
 * ingestion (actor `system`), so a crossing never contends with the tenant's configuration
 * and is found in the tenant's audit history like any event.
 */
export const quotaDecider: Decider<QuotaCommand, QuotaEvent, QuotaState, QuotaError> = {
  initialState,
  decide,
  evolve
}

export const quotaStream = (tenantId: string): string => `quota-${tenantId}`
