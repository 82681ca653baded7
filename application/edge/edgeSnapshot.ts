import type { EdgeSnapshot } from "../../domain/edge/snapshot.ts"
import { proxyBase, type TenantryConfig } from "../config.ts"
import type { TenantView } from "../projections/tenantView.ts"

export type { EdgeSnapshot }

export const buildEdgeSnapshot = (
  view: TenantView,
  config: Pick<TenantryConfig, "proxyBaseDomain">,
  /** The API token sealed for the edges (EdgeSeal), when the tenant has one. */
  sealedToken: string | null = null
): EdgeSnapshot => {
  const base = proxyBase(config, view.slug)
  const api = view.apiConfig
  const needsToken = api !== null && api.apiAuthMode !== "none"
  return {
    schemaVersion: 1,
    tenantId: view.tenantId,
    slug: view.slug,
    cms: view.cms,
    proxyBase: base,
    publicOrigin: view.siteProxy ? base : null,
    websiteOrigin: view.websiteDomain === null ? null : `https://${view.websiteDomain}`,
    siteProxy: view.siteProxy,
    cache: {
      ttl: view.cacheTTL,
      apiCacheVersion: view.versions.apiCacheVersion,
      assetCacheVersion: view.versions.assetCacheVersion,
      htmlCacheVersion: view.versions.htmlCacheVersion
    },
    api:
      api === null
        ? null
        : {
            origin: api.apiOrigin,
            authMode: api.apiAuthMode,
            authHeaderName: api.apiAuthHeaderName ?? null,
            authQueryParam: api.apiAuthQueryParam ?? null,
            cacheTTL: api.apiCacheTTL,
            cacheEnabled: api.cacheEnabled,
            previewEnabled: api.previewEnabled,
            hasApiToken: view.hasApiToken,
            sealedToken: view.hasApiToken ? sealedToken : null
          },
    gate: {
      apiProxy:
        api === null
          ? "closed_unconfigured"
          : needsToken && !view.hasApiToken
            ? "closed_missing_token"
            : "open",
      siteProxy: view.siteProxy ? "open" : "closed"
    },
    customDomains: [],
    updatedAt: view.updatedAt
  }
}
