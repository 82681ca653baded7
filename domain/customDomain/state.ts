import { Schema } from "effect"
import { Instant, TenantId } from "../shared/ids.ts"
import { type CustomDomainEvent, DomainId } from "./events.ts"

export const DomainStatus = Schema.Literals(["pending", "active", "misconfigured", "expired"])
export type DomainStatus = typeof DomainStatus.Type

/** A hostname some tenant holds now. */
export const LiveDomain = Schema.Struct({
  status: DomainStatus,
  tenantId: TenantId,
  domainId: DomainId,
  hostname: Schema.String,
  token: Schema.String,
  createdAt: Instant,
  /** Since when it has been pending (added, or reopened): expiry counts from here. */
  pendingSince: Instant,
  verifiedAt: Schema.NullOr(Instant),
  activatedAt: Schema.NullOr(Instant),
  /** Why it is misconfigured, as of the transition (checks in between are not events). */
  reasons: Schema.Array(Schema.String)
})
export type LiveDomain = typeof LiveDomain.Type

/** `absent`: nobody holds the hostname (never added, or removed). */
export const CustomDomainState = Schema.Union([
  Schema.Struct({ status: Schema.Literal("absent") }),
  LiveDomain
])
export type CustomDomainState = typeof CustomDomainState.Type

export const customDomainStateVersion = 1

export const initialState: CustomDomainState = { status: "absent" }

export const isLive = (state: CustomDomainState): state is LiveDomain => state.status !== "absent"

/** Total: an event that cannot apply to the state leaves it as it is. */
export const evolve = (state: CustomDomainState, event: CustomDomainEvent): CustomDomainState => {
  if (event._tag === "CustomDomainAdded") {
    return {
      status: "pending",
      tenantId: event.tenantId,
      domainId: event.domainId,
      hostname: event.hostname,
      token: event.token,
      createdAt: event.at,
      pendingSince: event.at,
      verifiedAt: null,
      activatedAt: null,
      reasons: []
    }
  }
  if (!isLive(state) || state.domainId !== event.domainId) return state
  switch (event._tag) {
    case "CustomDomainOwnershipVerified":
      return { ...state, status: "misconfigured", verifiedAt: event.at }
    case "CustomDomainActivated":
      return { ...state, status: "active", activatedAt: event.at, reasons: [] }
    case "CustomDomainMisconfigured":
      return { ...state, status: "misconfigured", reasons: event.reasons }
    case "CustomDomainExpired":
      return { ...state, status: "expired" }
    case "CustomDomainReopened":
      return { ...state, status: "pending", pendingSince: event.at }
    case "CustomDomainRemoved":
      return { status: "absent" }
  }
}
