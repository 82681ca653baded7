import type { Surface } from "../domain/edge/requestLog.ts"
import type { EdgeSnapshot } from "../domain/edge/snapshot.ts"
import { snapshotKey } from "../domain/edge/snapshot.ts"
import type { SnapshotSource } from "./ports.ts"

/** A DNS name as the edge accepts it in `Host`: letters, digits, hyphens and dots only. */
const hostPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/
const slugPattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/

/**
 * The `Host` header as the edge routes by it: port stripped, A–Z lowered (nothing else: a
 * Unicode case mapping could turn a foreign letter into an ASCII one), a trailing dot
 * dropped; undefined when it is no DNS name (an IP literal, spaces, anything hostile).
 */
export const normalizeHost = (raw: string | null): string | undefined => {
  if (raw === null || raw.length === 0 || raw.length > 260) return undefined
  const withoutPort = raw.replace(/:\d{1,5}$/, "")
  const host = withoutPort.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()).replace(/\.$/, "")
  return host.length <= 253 && hostPattern.test(host) ? host : undefined
}

/**
 * The KV key of the snapshot serving `host`: `{slug}.{PROXY_BASE_DOMAIN}` is the tenant's
 * preview host; any other name is a custom domain, routed by `host:{hostname}` → `{"slug"}`.
 */
export const lookupSnapshot = async (
  host: string,
  proxyBaseDomain: string,
  source: SnapshotSource
): Promise<string | null> => {
  const suffix = `.${proxyBaseDomain}`
  if (host.endsWith(suffix)) {
    const slug = host.slice(0, -suffix.length)
    return slugPattern.test(slug) ? source.get(snapshotKey(slug)) : null
  }
  const route = await source.get(`host:${host}`)
  if (route === null) return null
  try {
    const slug = (JSON.parse(route) as { slug?: unknown }).slug
    return typeof slug === "string" && slugPattern.test(slug) ? source.get(snapshotKey(slug)) : null
  } catch {
    return null
  }
}

/** The snapshot's text read as the shared type, or undefined when it is not one we understand. */
export const parseSnapshot = (text: string): EdgeSnapshot | undefined => {
  try {
    const value = JSON.parse(text) as Partial<EdgeSnapshot> | null
    return value !== null &&
      typeof value === "object" &&
      value.schemaVersion === 1 &&
      typeof value.slug === "string" &&
      typeof value.tenantId === "string" &&
      typeof value.cache === "object" &&
      value.cache !== null &&
      typeof value.gate === "object" &&
      value.gate !== null
      ? (value as EdgeSnapshot)
      : undefined
  } catch {
    return undefined
  }
}

export const surfaceOf = (pathname: string): Surface =>
  pathname === "/~api" || pathname.startsWith("/~api/")
    ? "api"
    : pathname === "/~assets" || pathname.startsWith("/~assets/")
      ? "assets"
      : "site"

/** Each CMS's own asset hosts: the only ones `/~assets/{host}/…` reaches. */
export const assetHosts: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    "contentful",
    new Set([
      "images.ctfassets.net",
      "assets.ctfassets.net",
      "videos.ctfassets.net",
      "downloads.ctfassets.net"
    ])
  ],
  ["storyblok", new Set(["a.storyblok.com", "img2.storyblok.com"])],
  ["prismic", new Set(["images.prismic.io", "prismic-io.s3.amazonaws.com"])],
  ["sanity", new Set(["cdn.sanity.io"])],
  ["webflow", new Set(["uploads-ssl.webflow.com", "assets.website-files.com", "cdn.prod.website-files.com"])],
  ["generic", new Set<string>()]
])

const trackingParameter = (name: string) =>
  name.startsWith("utm_") || name === "gclid" || name === "fbclid" || name === "msclkid"

/** The query as the cache sees it: tracking parameters dropped, the rest sorted. */
export const cacheQuery = (search: string): string => {
  const params = [...new URLSearchParams(search)].filter(([name]) => !trackingParameter(name))
  params.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  return new URLSearchParams(params).toString()
}

/**
 * The cache key: the tenant, the surface and its cache version, the path and the cache's
 * query. A version bump makes every older key unreachable at once: nothing is purged.
 */
export const cacheKey = (slug: string, surface: Surface, version: number, pathname: string, search: string) =>
  `v1/${slug}/${surface}/${version}${pathname}?${cacheQuery(search)}`
