import type { EdgeSnapshot } from "../../domain/edge/snapshot.ts"
import { proxyBase, type TenantryConfig } from "../config.ts"
import type { TenantView } from "../projections/tenantView.ts"

export type { EdgeSnapshot }

/** What the quota stream says for the snapshot: the newest month a limit was reached in full. */
export interface SnapshotQuota {
  readonly overMonth: string | null
  readonly action: "report" | "block"
}

export const noQuota: SnapshotQuota = { overMonth: null, action: "report" }

export const buildEdgeSnapshot = (
  view: TenantView,
  config: Pick<TenantryConfig, "proxyBaseDomain">,
  quota: SnapshotQuota = noQuota
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
    overQuota: quota.overMonth !== null,
    quotaMonth: quota.overMonth,
    quotaAction: quota.action,
    customDomains: [],
    updatedAt: view.updatedAt
  }
}
