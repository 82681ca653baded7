import { edgeKey, proxyBase, type TenantryConfig } from "../../../application/config.ts"
import type { TenantView } from "../../../application/projections/tenantView.ts"

/** The read model as clients see it: provider fields flat beside `cms`, versions at the top. */
export const tenantValue = (view: TenantView, config: Pick<TenantryConfig, "proxyBaseDomain">) => {
  const base = proxyBase(config, view.slug)
  return {
    tenantId: view.tenantId,
    slug: view.slug,
    ...view.cms,
    cacheTTL: view.cacheTTL,
    websiteDomain: view.websiteDomain,
    siteProxy: view.siteProxy,
    ...view.versions,
    proxyBase: base,
    publicOrigin: view.siteProxy ? base : null,
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
