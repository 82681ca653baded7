import type { Decider } from "../shared/decider.ts"
import type { CustomDomainCommand } from "./commands.ts"
import { type CustomDomainError, decide } from "./decide.ts"
import type { CustomDomainEvent } from "./events.ts"
import { type CustomDomainState, evolve, initialState } from "./state.ts"

export * from "./checks.ts"
export * from "./commands.ts"
export type { CustomDomainError } from "./decide.ts"
export { routingMissesToMisconfigure } from "./decide.ts"
export * from "./errors.ts"
export * from "./events.ts"
export * from "./hostname.ts"
export * from "./state.ts"

/** One hostname's claim and status: added, ownership verified, activated, misconfigured, expired, reopened, removed. */
export const customDomainDecider: Decider<
  CustomDomainCommand,
  CustomDomainEvent,
  CustomDomainState,
  CustomDomainError
> = { initialState, decide, evolve }

/** One stream per hostname: its existence and liveness are the claim on it. */
export const customDomainStream = (hostname: string): string => `custom-domain-${hostname}`
