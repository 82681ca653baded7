import { Result } from "effect"
import { absurd } from "../shared/decider.ts"
import { TenantNotFound } from "../tenant/errors.ts"
import type {
  AddCustomDomain,
  CheckCustomDomain,
  CustomDomainCommand,
  RemoveCustomDomain
} from "./commands.ts"
import { CustomDomainNotFound, HostnameTaken } from "./errors.ts"
import type { CustomDomainEvent } from "./events.ts"
import { type CustomDomainState, isLive, type LiveDomain } from "./state.ts"

export type CustomDomainError = CustomDomainNotFound | HostnameTaken | TenantNotFound

type Decision = Result.Result<ReadonlyArray<CustomDomainEvent>, CustomDomainError>

/** An active domain turns misconfigured at this many routing misses in a row. */
export const routingMissesToMisconfigure = 2

/**
 * Adding: the tenant must be live; the hostname must be free: nobody holds it, or its
 * holder is a deleted tenant (deleting a tenant releases its hostnames).
 */
const add = (command: typeof AddCustomDomain.Type, state: CustomDomainState): Decision => {
  if (!command.tenantLive) return Result.fail(new TenantNotFound())
  if (isLive(state) && (state.tenantId === command.tenantId || command.holderLive))
    return Result.fail(new HostnameTaken({ hostname: command.hostname }))
  return Result.succeed([
    {
      _tag: "CustomDomainAdded",
      tenantId: command.tenantId,
      domainId: command.domainId,
      hostname: command.hostname,
      token: command.token,
      at: command.at
    }
  ])
}

const own = (state: CustomDomainState, command: { readonly tenantId: string; readonly hostname: string }) =>
  isLive(state) && state.tenantId === command.tenantId ? state : undefined

const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 3_600_000

/**
 * A DNS check: only transitions are events.
 * - expired: only a verify call looks again, and brings it back to pending first;
 * - pending: ownership found → verified, then active (routing right) or misconfigured;
 *   ownership missing past the pending TTL → expired; "could not ask" changes nothing;
 * - misconfigured: routing right → active;
 * - active: routing wrong at the second miss in a row → misconfigured; "could not ask"
 *   changes nothing. Ownership once proven stays proven.
 */
const check = (command: typeof CheckCustomDomain.Type, state: CustomDomainState): Decision => {
  const domain = own(state, command)
  if (domain === undefined) return Result.fail(new CustomDomainNotFound({ hostname: command.hostname }))
  const about = {
    tenantId: domain.tenantId,
    domainId: domain.domainId,
    hostname: domain.hostname,
    at: command.at
  }
  const events: Array<CustomDomainEvent> = []
  let current: LiveDomain = domain
  if (current.status === "expired") {
    if (!command.manual) return Result.succeed([])
    events.push({ _tag: "CustomDomainReopened", ...about })
    current = { ...current, status: "pending", pendingSince: command.at }
  }
  switch (current.status) {
    case "pending":
      if (command.ownership === "found") {
        events.push({ _tag: "CustomDomainOwnershipVerified", ...about })
        events.push(
          command.routing === "ok"
            ? { _tag: "CustomDomainActivated", ...about }
            : { _tag: "CustomDomainMisconfigured", ...about, reasons: command.reasons }
        )
      } else if (
        command.ownership === "missing" &&
        hoursBetween(current.pendingSince, command.at) > command.pendingTtlHours
      ) {
        events.push({ _tag: "CustomDomainExpired", ...about })
      }
      break
    case "misconfigured":
      if (command.routing === "ok") events.push({ _tag: "CustomDomainActivated", ...about })
      break
    case "active":
      if (command.routing === "wrong" && command.routingMisses + 1 >= routingMissesToMisconfigure)
        events.push({ _tag: "CustomDomainMisconfigured", ...about, reasons: command.reasons })
      break
  }
  return Result.succeed(events)
}

const remove = (command: typeof RemoveCustomDomain.Type, state: CustomDomainState): Decision => {
  const domain = own(state, command)
  if (domain === undefined) return Result.fail(new CustomDomainNotFound({ hostname: command.hostname }))
  return Result.succeed([
    {
      _tag: "CustomDomainRemoved",
      tenantId: domain.tenantId,
      domainId: domain.domainId,
      hostname: domain.hostname,
      at: command.at
    }
  ])
}

export const decide = (command: CustomDomainCommand, state: CustomDomainState): Decision => {
  switch (command._tag) {
    case "AddCustomDomain":
      return add(command, state)
    case "CheckCustomDomain":
      return check(command, state)
    case "RemoveCustomDomain":
      return remove(command, state)
    default:
      return absurd(command)
  }
}
