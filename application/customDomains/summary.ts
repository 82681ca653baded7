import { Effect } from "effect"
import { CustomDomainReadModel } from "../ports/CustomDomainReadModel.ts"
import type { TenantView } from "../projections/tenantView.ts"

/** The views with their `domains` summary (`{ hostname, status, activatedAt }`, oldest first): one read for all. */
export const withDomains = <V extends TenantView>(views: ReadonlyArray<V>) =>
  Effect.gen(function* () {
    const summaries = yield* (yield* CustomDomainReadModel).summariesOf(views.map((view) => view.tenantId))
    return views.map((view) => ({ ...view, domains: summaries.get(view.tenantId) ?? [] }))
  })

export const withDomainsOne = <V extends TenantView>(view: V) =>
  Effect.map(withDomains([view]), (views) => views[0]!)
