import { ownershipName, ownershipValue } from "../../domain/customDomain/index.ts"
import type { DomainSettings } from "../config.ts"
import type { DomainRow } from "../ports/CustomDomainReadModel.ts"

/** A domain record as the API answers it (CONTRACT "Custom domains"). */
export interface DomainRecord {
  readonly id: string
  readonly hostname: string
  readonly status: "pending" | "active" | "misconfigured" | "expired"
  readonly reasons: ReadonlyArray<string>
  readonly verification: {
    readonly ownership: { readonly type: "TXT"; readonly name: string; readonly value: string }
    readonly routing:
      | { readonly type: "CNAME"; readonly name: string; readonly value: string }
      | ReadonlyArray<
          | { readonly type: "CNAME"; readonly name: string; readonly value: string }
          | { readonly type: "A" | "AAAA"; readonly name: string; readonly values: ReadonlyArray<string> }
        >
  }
  readonly createdAt: string
  readonly verifiedAt: string | null
  readonly activatedAt: string | null
  readonly lastCheckedAt: string | null
  readonly nextCheckAt: string | null
}

/** Where a tenant's domains must point: its preview host. */
export const routingTarget = (slug: string, proxyBaseDomain: string) => `${slug}.${proxyBaseDomain}`

/**
 * The records to create. `routing` is the CNAME; with `EDGE_IPS` set it also lists the A and
 * AAAA alternatives (for apex names), so it becomes a list: the CNAME first, then `{ type,
 * name, values }` per address family that has edge addresses.
 */
export const verificationOf = (
  hostname: string,
  token: string,
  slug: string,
  config: { readonly proxyBaseDomain: string; readonly domains: DomainSettings }
): DomainRecord["verification"] => {
  const cname = { type: "CNAME" as const, name: hostname, value: routingTarget(slug, config.proxyBaseDomain) }
  const v4 = config.domains.edgeIps.filter((ip) => !ip.includes(":"))
  const v6 = config.domains.edgeIps.filter((ip) => ip.includes(":"))
  const ownership = { type: "TXT" as const, name: ownershipName(hostname), value: ownershipValue(token) }
  if (v4.length === 0 && v6.length === 0) return { ownership, routing: cname }
  return {
    ownership,
    routing: [
      cname,
      ...(v4.length > 0 ? [{ type: "A" as const, name: hostname, values: v4 }] : []),
      ...(v6.length > 0 ? [{ type: "AAAA" as const, name: hostname, values: v6 }] : [])
    ]
  }
}

export const domainRecord = (
  row: DomainRow,
  slug: string,
  config: { readonly proxyBaseDomain: string; readonly domains: DomainSettings }
): DomainRecord => {
  const status = row.status === "released" ? "expired" : row.status
  return {
    id: row.domainId,
    hostname: row.hostname,
    status,
    reasons: status === "active" ? [] : row.reasons,
    verification: verificationOf(row.hostname, row.token, slug, config),
    createdAt: row.createdAt,
    verifiedAt: row.verifiedAt,
    activatedAt: row.activatedAt,
    lastCheckedAt: row.lastCheckedAt,
    nextCheckAt: row.nextCheckAt
  }
}
