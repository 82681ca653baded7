import { proxyBase, type TenantryConfig } from "../config.ts"
import type { TenantView } from "../projections/tenantView.ts"

/**
 * What an edge worker needs to serve a tenant, and nothing secret: the API token is
 * only ever flagged (`hasApiToken`), never copied here.
 */
export interface EdgeSnapshot {
  readonly schemaVersion: 1
  readonly tenantId: string
  readonly slug: string
  readonly cms: TenantView["cms"]
  readonly proxyBase: string
  /** Where visitors reach the website through us: the site proxy, else null. */
  readonly publicOrigin: string | null
  readonly websiteOrigin: string | null
  readonly siteProxy: boolean
  readonly cache: {
    readonly ttl: number
    readonly apiCacheVersion: number
    readonly assetCacheVersion: number
    readonly htmlCacheVersion: number
  }
  readonly api: {
    readonly origin: string
    readonly authMode: "none" | "bearer" | "header" | "query"
    readonly authHeaderName: string | null
    readonly authQueryParam: string | null
    readonly cacheTTL: number
    readonly cacheEnabled: boolean
    readonly previewEnabled: boolean
    readonly hasApiToken: boolean
  } | null
  /**
   * The security gate: what the edge may serve. The API proxy stays closed until it is
   * configured and, when it authenticates upstream, has a token to do it with.
   */
  readonly gate: {
    readonly apiProxy: "open" | "closed_unconfigured" | "closed_missing_token"
    readonly siteProxy: "open" | "closed"
  }
  readonly customDomains: ReadonlyArray<string>
  readonly updatedAt: string
}

export const buildEdgeSnapshot = (
  view: TenantView,
  config: Pick<TenantryConfig, "proxyBaseDomain">
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
            hasApiToken: view.hasApiToken
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
