import { edgeKey, proxyBase, type TenantryConfig } from "../../../application/config.ts"
import { orderActive, publicOriginOf } from "../../../application/edge/edgeSnapshot.ts"
import type { TenantView } from "../../../application/projections/tenantView.ts"

/** The read model as clients see it: provider fields flat beside `cms`, versions at the top. */
export const tenantValue = (view: TenantView, config: Pick<TenantryConfig, "proxyBaseDomain">) => {
  const base = proxyBase(config, view.slug)
  const domains = view.domains ?? []
  const active = orderActive(
    domains.flatMap((domain) =>
      domain.status === "active" && domain.activatedAt !== null
        ? [{ hostname: domain.hostname, activatedAt: domain.activatedAt }]
        : []
    )
  )
  return {
    tenantId: view.tenantId,
    slug: view.slug,
    ...view.cms,
    cacheTTL: view.cacheTTL,
    websiteDomain: view.websiteDomain,
    siteProxy: view.siteProxy,
    ...view.versions,
    proxyBase: base,
    publicOrigin: publicOriginOf(base, view.siteProxy, active),
    domains: domains.map((domain) => ({ hostname: domain.hostname, status: domain.status })),
    apiConfig: view.apiConfig,
    hasApiToken: view.hasApiToken,
    apiTokenUpdatedAt: view.apiTokenUpdatedAt,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt
  }
}

export const tenantResponse = (view: TenantView, config: Pick<TenantryConfig, "proxyBaseDomain">) => ({
  key: edgeKey(view.slug),
  value: tenantValue(view, config)
})
