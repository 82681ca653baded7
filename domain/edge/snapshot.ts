/**
 * `proxy:{slug}` in the edge KV: everything an edge needs to serve a tenant, and nothing
 * secret in the clear. Written by the control plane (application/edge/edgeSnapshot.ts),
 * read by the edge (edge/): this type is the contract between them, shared, never copied.
 * Types only, so the edge imports nothing at run time from here.
 */
export interface EdgeSnapshot {
  readonly schemaVersion: 1
  /** What request logs are attributed by. */
  readonly tenantId: string
  readonly slug: string
  readonly cms: { readonly cms: string } & Readonly<Record<string, unknown>>
  /** `https://{slug}.{PROXY_BASE_DOMAIN}`, the tenant's preview host. */
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
  readonly api: EdgeApiConfig | null
  /**
   * The security gate: what the edge may serve. The API proxy stays closed until it is
   * configured and, when it authenticates upstream, has a token to do it with.
   */
  readonly gate: {
    readonly apiProxy: "open" | "closed_unconfigured" | "closed_missing_token"
    readonly siteProxy: "open" | "closed"
  }
  /**
   * Monthly quota (analytics): `overQuota` is true when a plan limit was reached in full in
   * `quotaMonth` (UTC, YYYY-MM). It holds for that month only: an edge treats the tenant as
   * over quota while `quotaMonth` is the current UTC month, reports it in `x-cachely-quota:
   * over` and, when `quotaAction` is `block`, answers 429 `rate_limited` instead of serving.
   */
  readonly overQuota: boolean
  readonly quotaMonth: string | null
  readonly quotaAction: "report" | "block"
  /** Active custom domains (hostnames), earliest-activated first. */
  readonly customDomains: ReadonlyArray<string>
  readonly updatedAt: string
}

export interface EdgeApiConfig {
  readonly origin: string
  readonly authMode: "none" | "bearer" | "header" | "query"
  readonly authHeaderName: string | null
  readonly authQueryParam: string | null
  readonly cacheTTL: number
  readonly cacheEnabled: boolean
  readonly previewEnabled: boolean
  readonly hasApiToken: boolean
  /**
   * The API token sealed for the edges: `v1.{iv}.{ciphertext+tag}` (base64url), AES-256-GCM
   * under EDGE_SEAL_KEY with the slug as associated data; null when there is none, or the
   * control plane has no seal key.
   */
  readonly sealedToken: string | null
}

/** The KV key of a tenant's snapshot. */
export const snapshotKey = (slug: string): string => `proxy:${slug}`

/**
 * The KV key routing an active custom domain: `host:{hostname}` → `{ "slug": … }`, present
 * exactly while the domain is active, so an edge can route a request by its Host header.
 */
export const hostKey = (hostname: string): string => `host:${hostname}`

/** The value at `host:{hostname}`. */
export interface HostRoute {
  readonly slug: string
}

/** Whether a snapshot's tenant is over quota at `now` (the flag holds for its month only). */
export const overQuotaAt = (snapshot: Pick<EdgeSnapshot, "overQuota" | "quotaMonth">, now: Date): boolean =>
  snapshot.overQuota && snapshot.quotaMonth === now.toISOString().slice(0, 7)
