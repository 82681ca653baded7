import type { Decider } from "../shared/decider.ts"
import type { MembershipCommand } from "./commands.ts"
import { decide, type MembershipError } from "./decide.ts"
import type { MembershipEvent } from "./events.ts"
import { evolve, initialState, type MembershipState } from "./state.ts"

export * from "./commands.ts"
export { actingRole, type MembershipError } from "./decide.ts"
export * from "./errors.ts"
export * from "./events.ts"
export * from "./state.ts"

/** A tenant's members and invites, apart from its configuration. */
export const membershipDecider: Decider<
  MembershipCommand,
  MembershipEvent,
  MembershipState,
  MembershipError
> = {
  initialState,
  decide,
  evolve
}

export const membershipStream = (tenantId: string): string => `members-${tenantId}`
