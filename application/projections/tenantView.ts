import type { CacheVersions, CacheVersionsEvent } from "../../domain/cacheVersions/index.ts"
import type { ApiConfig, CmsConfig, TenantEvent } from "../../domain/tenant/index.ts"
import { typesOf } from "../events/catalog.ts"

/**
 * The tenant as the API and the edge read it: configuration and state, never a secret.
 * Assembled from two inline read models, one per stream: the tenant's row (its own
 * stream) and its cache versions (the cache-versions stream).
 */
export interface TenantView extends TenantRow {
  readonly versions: CacheVersions
  /** Its custom domains, where a use case answering the tenant value read them (application/customDomains/summary.ts). */
  readonly domains?: ReadonlyArray<DomainSummary> | undefined
}

/** A custom domain in the tenant value's `domains` (`activatedAt` decides `publicOrigin`). */
export interface DomainSummary {
  readonly hostname: string
  readonly status: "pending" | "active" | "misconfigured" | "expired"
  readonly activatedAt: string | null
}

/** `tenants`: what the tenant's own stream says. `null` is "no live tenant". */
export interface TenantRow {
  readonly tenantId: string
  readonly slug: string
  readonly cms: CmsConfig
  readonly cacheTTL: number
  readonly websiteDomain: string | null
  readonly siteProxy: boolean
  readonly apiConfig: ApiConfig | null
  readonly hasApiToken: boolean
  readonly apiTokenUpdatedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** `tenant_cache_versions`: the newest bump of the tenant's cache-versions stream. */
export interface CacheVersionsRow {
  readonly versions: CacheVersions
  readonly updatedAt: string
}

export const initialVersions: CacheVersions = {
  apiCacheVersion: 1,
  assetCacheVersion: 1,
  htmlCacheVersion: 1
}

/** The view of a live tenant; its `updatedAt` is its newest change, a bump included. */
export const tenantViewOf = (row: TenantRow, versions: CacheVersionsRow | null): TenantView => ({
  ...row,
  versions: versions?.versions ?? initialVersions,
  updatedAt: versions !== null && versions.updatedAt > row.updatedAt ? versions.updatedAt : row.updatedAt
})

export const tenantRowHandles = typesOf(
  "TenantCreated",
  "TenantConfigUpdated",
  "ApiConfigSaved",
  "ApiTokenSaved",
  "TenantDeleted"
)

export const cacheVersionsRowHandles = typesOf("CacheVersionsBumped")

/** Everything that changes a tenant's view, whichever stream it is in (the edge snapshot follows these). */
export const tenantViewHandles: ReadonlySet<string> = new Set([
  ...tenantRowHandles,
  ...cacheVersionsRowHandles
])

export const evolveTenantRow = (row: TenantRow | null, event: TenantEvent): TenantRow | null => {
  if (event._tag === "TenantCreated") {
    return {
      tenantId: event.tenantId,
      slug: event.slug,
      cms: event.cms,
      cacheTTL: event.cacheTTL,
      websiteDomain: event.websiteDomain,
      siteProxy: event.siteProxy,
      apiConfig: null,
      hasApiToken: false,
      apiTokenUpdatedAt: null,
      createdAt: event.at,
      updatedAt: event.at
    }
  }
  if (row === null) return null
  switch (event._tag) {
    case "TenantConfigUpdated":
      return { ...row, ...event.changes, updatedAt: event.at }
    case "ApiConfigSaved":
      return { ...row, apiConfig: event.apiConfig, updatedAt: event.at }
    case "ApiTokenSaved":
      return { ...row, hasApiToken: true, apiTokenUpdatedAt: event.at, updatedAt: event.at }
    case "TenantDeleted":
      return null
    // The site-publish secret has its own read model (tenant_webhooks).
    default:
      return row
  }
}

export const evolveCacheVersionsRow = (
  _row: CacheVersionsRow | null,
  event: CacheVersionsEvent
): CacheVersionsRow => ({
  versions: event.versions,
  updatedAt: event.at
})
