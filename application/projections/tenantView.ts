import type { ApiConfig, CacheVersions, CmsConfig, TenantEvent } from "../../domain/tenant/index.ts"

/**
 * The tenant as the API and the edge read it: configuration and state, never a secret.
 * `null` is "no live tenant" (never created, or deleted).
 */
export interface TenantView {
  readonly tenantId: string
  readonly slug: string
  readonly cms: CmsConfig
  readonly cacheTTL: number
  readonly websiteDomain: string | null
  readonly siteProxy: boolean
  readonly versions: CacheVersions
  readonly apiConfig: ApiConfig | null
  readonly hasApiToken: boolean
  readonly apiTokenUpdatedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export const tenantViewHandles: ReadonlySet<string> = new Set<TenantEvent["_tag"]>([
  "TenantCreated",
  "TenantConfigUpdated",
  "CacheVersionsBumped",
  "ApiConfigSaved",
  "ApiTokenSaved",
  "TenantDeleted"
])

export const evolveTenantView = (view: TenantView | null, event: TenantEvent): TenantView | null => {
  if (event._tag === "TenantCreated") {
    return {
      tenantId: event.tenantId,
      slug: event.slug,
      cms: event.cms,
      cacheTTL: event.cacheTTL,
      websiteDomain: event.websiteDomain,
      siteProxy: event.siteProxy,
      versions: { apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 1 },
      apiConfig: null,
      hasApiToken: false,
      apiTokenUpdatedAt: null,
      createdAt: event.at,
      updatedAt: event.at
    }
  }
  if (view === null) return null
  switch (event._tag) {
    case "TenantConfigUpdated":
      return { ...view, ...event.changes, updatedAt: event.at }
    case "CacheVersionsBumped":
      return { ...view, versions: event.versions, updatedAt: event.at }
    case "ApiConfigSaved":
      return { ...view, apiConfig: event.apiConfig, updatedAt: event.at }
    case "ApiTokenSaved":
      return { ...view, hasApiToken: true, apiTokenUpdatedAt: event.at, updatedAt: event.at }
    case "TenantDeleted":
      return null
    // Membership has its own read models (tenant_members, tenant_invites).
    default:
      return view
  }
}
