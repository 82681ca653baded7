import type { EdgeSnapshot } from "../../domain/edge/snapshot.ts"
import { proxyBase, type TenantryConfig } from "../config.ts"
import type { TenantView } from "../projections/tenantView.ts"

export type { EdgeSnapshot }

/** An active custom domain of the tenant, as the snapshot needs it. */
export interface ActiveDomain {
  readonly hostname: string
  readonly activatedAt: string
}

/** Active hostnames, earliest-activated first (then by name, so the order is stable). */
export const orderActive = (domains: ReadonlyArray<ActiveDomain>): ReadonlyArray<string> =>
  [...domains]
    .sort((a, b) =>
      a.activatedAt < b.activatedAt
        ? -1
        : a.activatedAt > b.activatedAt
          ? 1
          : a.hostname < b.hostname
            ? -1
            : 1
    )
    .map((domain) => domain.hostname)

/**
 * Where visitors reach the website through us: `https://{hostname}` of the earliest-activated
 * active custom domain, else the preview host when the site proxy is on, else null.
 */
export const publicOriginOf = (base: string, siteProxy: boolean, customDomains: ReadonlyArray<string>) =>
  customDomains.length > 0 ? `https://${customDomains[0]}` : siteProxy ? base : null

/** What the quota stream says for the snapshot: the newest month a limit was reached in full. */
export interface SnapshotQuota {
  readonly overMonth: string | null
  readonly action: "report" | "block"
}

export const noQuota: SnapshotQuota = { overMonth: null, action: "report" }

export const buildEdgeSnapshot = (
  view: TenantView,
  config: Pick<TenantryConfig, "proxyBaseDomain">,
  parts: {
    readonly activeDomains?: ReadonlyArray<ActiveDomain>
    /** The API token sealed for the edges (EdgeSeal), when the tenant has one. */
    readonly sealedToken?: string | null
    readonly quota?: SnapshotQuota
  } = {}
): EdgeSnapshot => {
  const base = proxyBase(config, view.slug)
  const customDomains = orderActive(parts.activeDomains ?? [])
  const sealedToken = parts.sealedToken ?? null
  const quota = parts.quota ?? noQuota
  const api = view.apiConfig
  const needsToken = api !== null && api.apiAuthMode !== "none"
  return {
    schemaVersion: 1,
    tenantId: view.tenantId,
    slug: view.slug,
    cms: view.cms,
    proxyBase: base,
    publicOrigin: publicOriginOf(base, view.siteProxy, customDomains),
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
    customDomains,
    overQuota: quota.overMonth !== null,
    quotaMonth: quota.overMonth,
    quotaAction: quota.action,
    updatedAt: view.updatedAt
  }
}
