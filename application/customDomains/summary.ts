import { Effect } from "effect"
import { CustomDomainReadModel } from "../ports/CustomDomainReadModel.ts"
import type { DomainSummary, TenantView } from "../projections/tenantView.ts"

/** The views with their `domains` summary (`{ hostname, status, activatedAt }`, oldest first): one read for all. */
export const withDomains = <V extends TenantView>(views: ReadonlyArray<V>) =>
  Effect.gen(function* () {
    const rows = yield* (yield* CustomDomainReadModel).ofTenants(views.map((view) => view.tenantId))
    const byTenant = new Map<string, Array<DomainSummary>>()
    for (const row of rows) {
      if (row.status === "released") continue
      const list = byTenant.get(row.tenantId) ?? []
      list.push({ hostname: row.hostname, status: row.status, activatedAt: row.activatedAt })
      byTenant.set(row.tenantId, list)
    }
    return views.map((view) => ({ ...view, domains: byTenant.get(view.tenantId) ?? [] }))
  })

export const withDomainsOne = <V extends TenantView>(view: V) =>
  Effect.map(withDomains([view]), (views) => views[0]!)
