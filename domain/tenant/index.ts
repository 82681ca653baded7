import type { Decider } from "../shared/decider.ts"
import type { TenantCommand } from "./commands.ts"
import { decide } from "./decide.ts"
import type { TenantError } from "./errors.ts"
import type { TenantEvent } from "./events.ts"
import { evolve, initialState, type TenantState } from "./state.ts"

export * from "./apiConfig.ts"
export * from "./cms.ts"
export * from "./commands.ts"
export * from "./errors.ts"
export * from "./events.ts"
export * from "./slug.ts"
export * from "./state.ts"

/** The tenant: its life, slug, configuration, API settings and site-publish secret. */
export const tenantDecider: Decider<TenantCommand, TenantEvent, TenantState, TenantError> = {
  initialState,
  decide,
  evolve
}

/** The one place a tenant's stream id is spelled. */
export const tenantStream = (tenantId: string): string => `tenant-${tenantId}`
