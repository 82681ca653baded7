import { describe, it } from "vitest"
import {
  type CustomDomainCommand,
  type CustomDomainEvent,
  CustomDomainNotFound,
  customDomainDecider,
  type DomainId,
  HostnameTaken
} from "../../../domain/customDomain/index.ts"
import type { TenantId } from "../../../domain/shared/ids.ts"
import { TenantNotFound } from "../../../domain/tenant/index.ts"
import { given } from "../../support/decider.ts"

/** One hostname's stream (`custom-domain-{hostname}`): its claim and its status. */

const tenantId = "tnt_acme000001" as TenantId
const otherTenantId = "tnt_other00001" as TenantId
const domainId = "dom_00000001" as DomainId
const hostname = "shop.example.com"
const t0 = "2026-12-01T10:00:00.000Z"
const t1 = "2026-12-01T11:00:00.000Z"
const weekLater = "2026-12-08T11:00:00.000Z"
const about = { tenantId, domainId, hostname }

const add = (
  fields: Partial<Extract<CustomDomainCommand, { _tag: "AddCustomDomain" }>> = {}
): CustomDomainCommand => ({
  _tag: "AddCustomDomain",
  tenantId,
  tenantLive: true,
  holderLive: true,
  domainId,
  hostname,
  token: "tok",
  at: t0,
  ...fields
})
const check = (
  ownership: "found" | "missing" | "unknown",
  routing: "ok" | "wrong" | "unknown",
  fields: Partial<Extract<CustomDomainCommand, { _tag: "CheckCustomDomain" }>> = {}
): CustomDomainCommand => ({
  _tag: "CheckCustomDomain",
  tenantId,
  hostname,
  ownership,
  routing,
  reasons: ["routing: CNAME shop.example.com points to old.example.net, expected acme.cachely.io"],
  routingMisses: 0,
  manual: false,
  pendingTtlHours: 168,
  at: t1,
  ...fields
})
const added: CustomDomainEvent = { _tag: "CustomDomainAdded", ...about, token: "tok", at: t0 }
const verified: CustomDomainEvent = { _tag: "CustomDomainOwnershipVerified", ...about, at: t0 }
const activated: CustomDomainEvent = { _tag: "CustomDomainActivated", ...about, at: t0 }
const expired: CustomDomainEvent = { _tag: "CustomDomainExpired", ...about, at: t0 }

describe("Custom domain decider", () => {
  it("adding: a free hostname is added pending; a live tenant's (this one or another) is taken; a deleted holder's is free; a deleted tenant adds nothing", () => {
    given(customDomainDecider).when(add()).then(added)
    given(customDomainDecider, added).when(add()).thenFails(HostnameTaken, { hostname })
    given(customDomainDecider, added)
      .when(add({ tenantId: otherTenantId }))
      .thenFails(HostnameTaken)
    given(customDomainDecider, added)
      .when(add({ tenantId: otherTenantId, holderLive: false, domainId: "dom_00000002" as DomainId }))
      .thenMatches({ _tag: "CustomDomainAdded", tenantId: otherTenantId })
    given(customDomainDecider)
      .when(add({ tenantLive: false }))
      .thenFails(TenantNotFound)
  })

  it("pending: TXT found and routing right → verified and active; TXT found, routing wrong → verified and misconfigured with the reason; TXT missing → nothing", () => {
    given(customDomainDecider, added)
      .when(check("found", "ok"))
      .thenMatches({ _tag: "CustomDomainOwnershipVerified" }, { _tag: "CustomDomainActivated" })
    given(customDomainDecider, added)
      .when(check("found", "wrong"))
      .thenMatches(
        { _tag: "CustomDomainOwnershipVerified" },
        {
          _tag: "CustomDomainMisconfigured",
          reasons: ["routing: CNAME shop.example.com points to old.example.net, expected acme.cachely.io"]
        }
      )
    given(customDomainDecider, added).when(check("missing", "wrong")).thenNothing()
    given(customDomainDecider, added).when(check("unknown", "unknown")).thenNothing()
  })

  it("expiry: pending past the TTL with no TXT → expired; background checks leave it; a verify call brings it back to pending (and on)", () => {
    given(customDomainDecider, added)
      .when(check("missing", "wrong", { at: weekLater }))
      .thenMatches({ _tag: "CustomDomainExpired" })
    given(customDomainDecider, added)
      .when(check("unknown", "wrong", { at: weekLater }))
      .thenNothing()
    given(customDomainDecider, added, expired).when(check("found", "ok")).thenNothing()
    given(customDomainDecider, added, expired)
      .when(check("missing", "wrong", { manual: true }))
      .thenMatches({ _tag: "CustomDomainReopened" })
    given(customDomainDecider, added, expired)
      .when(check("found", "ok", { manual: true }))
      .thenMatches(
        { _tag: "CustomDomainReopened" },
        { _tag: "CustomDomainOwnershipVerified" },
        { _tag: "CustomDomainActivated" }
      )
  })

  it("active: one routing miss changes nothing, the second in a row → misconfigured; could not ask changes nothing; misconfigured and fixed → active", () => {
    given(customDomainDecider, added, verified, activated).when(check("found", "wrong")).thenNothing()
    given(customDomainDecider, added, verified, activated)
      .when(check("found", "wrong", { routingMisses: 1 }))
      .thenMatches({ _tag: "CustomDomainMisconfigured" })
    given(customDomainDecider, added, verified, activated)
      .when(check("unknown", "unknown", { routingMisses: 5 }))
      .thenNothing()
    given(customDomainDecider, added, verified, {
      _tag: "CustomDomainMisconfigured",
      ...about,
      reasons: ["x"],
      at: t1
    })
      .when(check("missing", "ok"))
      .thenMatches({ _tag: "CustomDomainActivated" })
  })

  it("removing and checking: only the holder's own live domain; another tenant's is not found", () => {
    given(customDomainDecider, added)
      .when({ _tag: "RemoveCustomDomain", tenantId, hostname, at: t1 })
      .thenMatches({ _tag: "CustomDomainRemoved" })
    given(customDomainDecider, added)
      .when({ _tag: "RemoveCustomDomain", tenantId: otherTenantId, hostname, at: t1 })
      .thenFails(CustomDomainNotFound)
    given(customDomainDecider).when(check("found", "ok")).thenFails(CustomDomainNotFound)
  })
})
