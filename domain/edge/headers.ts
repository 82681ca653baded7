/**
 * The headers the edge sets on every answer (CONTRACT.md, Edge), which existing clients and
 * `cachely-check` rely on. Plain constants: the edge imports them at run time.
 */
export const edgeHeaders = {
  cache: "x-cachely-cache",
  surface: "x-cachely-surface",
  tenant: "x-cachely-tenant",
  version: "x-cachely-version",
  requestId: "x-cachely-request-id",
  /** RFC 9211, cache name `Cachely`. */
  cacheStatus: "cache-status",
  /** A nonce the caller sends; the edge answers `x-cachely-proof`. */
  nonce: "x-cachely-nonce",
  /** hex HMAC-SHA256 under EDGE_SEAL_KEY of `{nonce}|{host}`. */
  proof: "x-cachely-proof",
  /** `over` while the tenant is over a monthly quota (see EdgeSnapshot.overQuota). */
  quota: "x-cachely-quota"
} as const

/** The input of `x-cachely-proof`'s HMAC, spelled in one place for the edge and the checks. */
export const proofInput = (nonce: string, host: string): string => `${nonce}|${host}`
