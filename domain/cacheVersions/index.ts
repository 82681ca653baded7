import type { Decider } from "../shared/decider.ts"
import type { CacheVersionsCommand } from "./commands.ts"
import { type CacheVersionsError, decide } from "./decide.ts"
import type { CacheVersionsEvent } from "./events.ts"
import { type CacheVersionsState, evolve, initialState } from "./state.ts"

export * from "./commands.ts"
export { bumped, type CacheVersionsError } from "./decide.ts"
export * from "./events.ts"
export * from "./state.ts"

/** A tenant's cache versions: bumps only, so bursts of them never contend with anything else. */
export const cacheVersionsDecider: Decider<
  CacheVersionsCommand,
  CacheVersionsEvent,
  CacheVersionsState,
  CacheVersionsError
> = { initialState, decide, evolve }

export const cacheVersionsStream = (tenantId: string): string => `cache-versions-${tenantId}`
