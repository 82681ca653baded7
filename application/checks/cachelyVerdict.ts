import type { ApiConfig } from "../../domain/tenant/index.ts"

/**
 * The cachely-check's judgement, pure: which surface to probe, and what two probes of it
 * plus the stored configuration say. Served through the edge is proven only by the edge's
 * own `x-cachely-*` headers (never a generic `x-cache` or another CDN's), and better by its
 * proof of the probe's nonce (see EdgeProof), which a customer's own server cannot forge.
 */

/** A tenant's custom domain as the check needs it (from the custom domains' read model). */
export interface SurfaceDomain {
  readonly hostname: string
  /** `pending` | `active` | `misconfigured` | `expired`. */
  readonly status: string
  readonly activatedAt: string | null
}

export type CheckState = "implemented" | "active_needs_attention" | "not_detected" | "not_enabled"
export type ItemState = "pass" | "warn" | "fail" | "info"
export type SurfaceLabel = "production" | "preview"

export interface Surface {
  readonly label: SurfaceLabel
  readonly host: string
  /** The custom domain probed (production). */
  readonly domain: SurfaceDomain | undefined
}

export interface Item {
  readonly id: string
  readonly label: string
  readonly state: ItemState
  readonly detail: string
}

/** What one probe saw (the wire shape of `probes`). */
export interface Probe {
  readonly url: string
  readonly status: number | null
  readonly durationMs: number
  /** The `x-cachely-*` and `Cache-Status` headers the answer carried. */
  readonly headers: Readonly<Record<string, string>>
  readonly error: string | null
}

export type ProofState = "valid" | "invalid" | "missing" | "unverifiable"

/** A probe with what the check read from it beyond the wire shape. */
export interface ProbeReading {
  readonly probe: Probe
  readonly proof: ProofState
  /** Headers of other CDNs or caches seen in front (`cf-ray`, `x-served-by`, `x-cache`, …). */
  readonly otherCdn: ReadonlyArray<string>
}

export interface CheckReport {
  readonly state: CheckState
  readonly headline: string
  readonly probeUrl: string | null
  readonly surfaceLabel: SurfaceLabel | null
  readonly items: ReadonlyArray<Item>
  readonly probes: ReadonlyArray<Probe>
}

export interface TenantFacts {
  readonly slug: string
  readonly proxyHost: string
  readonly siteProxy: boolean
  readonly htmlCacheVersion: number
  readonly apiConfig: ApiConfig | null
  readonly hasApiToken: boolean
  readonly domains: ReadonlyArray<SurfaceDomain>
}

/**
 * The website surface: the earliest-activated active custom domain (`production`), else the
 * preview host when the site proxy is on (`preview`), else none (`not_enabled`).
 */
export const chooseSurface = (tenant: TenantFacts): Surface | undefined => {
  const active = tenant.domains
    .filter((domain) => domain.status === "active" && domain.activatedAt !== null)
    .sort((a, b) => (a.activatedAt! < b.activatedAt! ? -1 : a.activatedAt! > b.activatedAt! ? 1 : 0))
  const production = active[0]
  if (production !== undefined) return { label: "production", host: production.hostname, domain: production }
  if (tenant.siteProxy) return { label: "preview", host: tenant.proxyHost, domain: undefined }
  return undefined
}

/** Headers that name a CDN or cache other than ours. A generic `x-cache` never proves the edge. */
export const otherCdnHeaders: ReadonlyArray<readonly [header: string, name: string]> = [
  ["cf-ray", "Cloudflare"],
  ["x-amz-cf-id", "CloudFront"],
  ["x-fastly-request-id", "Fastly"],
  ["x-served-by", "Fastly/Varnish"],
  ["x-vercel-id", "Vercel"],
  ["x-nf-request-id", "Netlify"],
  ["x-akamai-transformed", "Akamai"],
  ["x-azure-ref", "Azure Front Door"],
  ["x-cache", "a cache (x-cache)"]
]

export const isEdgeHeader = (name: string) => name.startsWith("x-cachely-")

const viaEdge = (reading: ProbeReading) => Object.keys(reading.probe.headers).some(isEdgeHeader)
const cacheOf = (reading: ProbeReading) => reading.probe.headers["x-cachely-cache"]?.toUpperCase()

const apiProxyItem = (tenant: TenantFacts): Item => {
  const api = tenant.apiConfig
  const live = "Configuration only; the API proxy's live test verifies it end to end."
  if (api === null) {
    return {
      id: "api_proxy",
      label: "API proxy",
      state: "info",
      detail: `Not configured: /~api/ answers 404 until an API origin is saved. ${live}`
    }
  }
  if (api.apiAuthMode !== "none" && !tenant.hasApiToken) {
    return {
      id: "api_proxy",
      label: "API proxy",
      state: "warn",
      detail: `Configured for ${api.apiOrigin} with ${api.apiAuthMode} authentication, but no API token is saved: the edge answers 503. ${live}`
    }
  }
  return {
    id: "api_proxy",
    label: "API proxy",
    state: "pass",
    detail: `Configured for ${api.apiOrigin} (${api.apiAuthMode} authentication${api.apiAuthMode === "none" ? "" : ", token saved"}) at https://${tenant.proxyHost}/~api/. ${live}`
  }
}

const customDomainItem = (tenant: TenantFacts, surface: Surface | undefined): Item => {
  const inactive = tenant.domains.filter((domain) => domain.status !== "active")
  const listed = inactive.map((domain) => `${domain.hostname} (${domain.status})`).join(", ")
  if (surface?.label === "production") {
    return {
      id: "custom_domain",
      label: "Custom domain",
      state: inactive.length > 0 ? "warn" : "pass",
      detail: `${surface.host} is active since ${surface.domain?.activatedAt}${inactive.length > 0 ? `; not active: ${listed}` : ""}. Configuration only.`
    }
  }
  if (inactive.length > 0) {
    return {
      id: "custom_domain",
      label: "Custom domain",
      state: "warn",
      detail: `No custom domain is active yet: ${listed}. Verify its DNS records; visitors cannot use it until then.`
    }
  }
  return {
    id: "custom_domain",
    label: "Custom domain",
    state: "info",
    detail: "No custom domain: the site is reachable on the preview host only. Configuration only."
  }
}

const notEnabled = (tenant: TenantFacts): CheckReport => ({
  state: "not_enabled",
  headline:
    "No website surface to check: the tenant has no active custom domain and its site proxy is off (an API-only or assets-only set-up).",
  probeUrl: null,
  surfaceLabel: null,
  items: [
    {
      id: "website_surface",
      label: "Website surface",
      state: "info",
      detail: "Turn the site proxy on, or add a custom domain, to serve the website through Cachely."
    },
    customDomainItem(tenant, undefined),
    apiProxyItem(tenant)
  ],
  probes: []
})

/** Combines the two probes with the stored configuration. */
export const judge = (
  tenant: TenantFacts,
  surface: Surface | undefined,
  readings: ReadonlyArray<ProbeReading>
): CheckReport => {
  if (surface === undefined) return notEnabled(tenant)
  const probeUrl = `https://${surface.host}/`
  const edged = readings.filter(viaEdge)
  const all = readings.length > 0 && edged.length === readings.length
  const items: Array<Item> = []

  items.push({
    id: "website_surface",
    label: "Website surface",
    state: surface.label === "preview" && !tenant.siteProxy ? "warn" : "pass",
    detail:
      surface.label === "production"
        ? `Probing the production surface ${probeUrl} (the earliest-activated active custom domain).`
        : `Probing the preview surface ${probeUrl} (the site proxy is on; no custom domain is active).`
  })
  if (surface.label === "production" && !tenant.siteProxy) {
    items[0] = {
      ...items[0]!,
      state: "warn",
      detail: `${items[0]!.detail} The site proxy is off, so the edge does not serve the website there.`
    }
  }

  const errors = readings.filter((reading) => reading.probe.error !== null)
  items.push({
    id: "edge_headers",
    label: "Cachely edge headers",
    state: all ? "pass" : edged.length > 0 ? "warn" : "fail",
    detail: all
      ? `Both probes carried Cachely's x-cachely-* headers (surface ${edged[0]!.probe.headers["x-cachely-surface"] ?? "?"}, tenant ${edged[0]!.probe.headers["x-cachely-tenant"] ?? "?"}).`
      : edged.length > 0
        ? `Only ${edged.length} of ${readings.length} probes carried x-cachely-* headers.`
        : errors.length === readings.length && readings.length > 0
          ? `No probe got an answer: ${errors[0]!.probe.error}`
          : "No probe carried x-cachely-* headers: visitors are not served through Cachely (a generic x-cache or another CDN's headers do not count)."
  })

  const proofs = edged.map((reading) => reading.proof)
  const proofState: ItemState =
    edged.length === 0
      ? "info"
      : proofs.every((proof) => proof === "valid")
        ? "pass"
        : proofs.some((proof) => proof === "invalid" || proof === "missing")
          ? "fail"
          : "warn"
  items.push({
    id: "edge_proof",
    label: "Edge proof",
    state: proofState,
    detail:
      proofState === "info"
        ? "Nothing to verify: no answer came from a Cachely edge."
        : proofState === "pass"
          ? "Each probe's random nonce came back signed by the edge (x-cachely-proof): the answers are the edge's own."
          : proofs.includes("invalid")
            ? "An answer carried an x-cachely-proof that is wrong for its nonce: the x-cachely-* headers did not come from a Cachely edge."
            : proofs.includes("missing")
              ? "An answer carried x-cachely-* headers without the edge's proof of the probe's nonce: something other than a Cachely edge may be imitating its headers."
              : "The proof could not be verified: this server has no EDGE_SEAL_KEY."
  })
  const proven = edged.length > 0 && (proofState === "pass" || proofState === "warn")

  const second = readings[1]
  const secondCache = second === undefined ? undefined : cacheOf(second)
  const everCached = readings.some((reading) => cacheOf(reading) === "HIT")
  items.push({
    id: "cache",
    label: "Caching",
    state: !proven ? "info" : secondCache === "HIT" ? "pass" : "warn",
    detail: !proven
      ? "Not judged: no proven edge answer."
      : secondCache === "HIT"
        ? "The second probe was served from the edge's cache (HIT)."
        : `The second probe was ${secondCache ?? "not reported"}${everCached ? "" : " and no probe was a HIT"}: the page is not being cached (check its Cache-Control, cookies, or the tenant's TTL).`
  })

  const versions = edged
    .map((reading) => reading.probe.headers["x-cachely-version"])
    .filter((v) => v !== undefined)
  const expected = String(tenant.htmlCacheVersion)
  const stale = versions.filter((version) => version !== expected)
  items.push({
    id: "version",
    label: "Served version",
    state: !proven ? "info" : versions.length === 0 ? "warn" : stale.length === 0 ? "pass" : "warn",
    detail: !proven
      ? "Not judged: no proven edge answer."
      : versions.length === 0
        ? "The edge did not report the version it served (x-cachely-version)."
        : stale.length === 0
          ? `The edge served htmlCacheVersion ${expected}, the current one.`
          : `The edge served version ${stale[0]} while the stored htmlCacheVersion is ${expected}: its configuration is stale (re-sync the edge config).`
  })

  const failing = readings.filter((reading) => reading.probe.status !== null && reading.probe.status >= 500)
  items.push({
    id: "http_status",
    label: "HTTP status",
    state:
      readings.length > 0 && failing.length === 0 && errors.length === 0
        ? "pass"
        : failing.length > 0
          ? "fail"
          : "warn",
    detail:
      failing.length > 0
        ? `The surface answered ${failing.map((reading) => reading.probe.status).join(", ")}.`
        : `The surface answered ${readings.map((reading) => reading.probe.status ?? "no answer").join(", ")}.`
  })

  const others = [...new Set(readings.flatMap((reading) => reading.otherCdn))]
  if (others.length > 0) {
    items.push({
      id: "other_cdn",
      label: "Another CDN in front",
      state: "warn",
      detail: `The answers carry headers of ${others.join(", ")}: another CDN or cache sits in front of (or instead of) the edge.`
    })
  }

  items.push(customDomainItem(tenant, surface))
  items.push(apiProxyItem(tenant))

  if (edged.length === 0) {
    return {
      state: "not_detected",
      headline: `${probeUrl} is not served through Cachely: no probe carried the edge's x-cachely-* headers.`,
      probeUrl,
      surfaceLabel: surface.label,
      items,
      probes: readings.map((reading) => reading.probe)
    }
  }
  // The API proxy is another surface: its row informs, it does not judge the website.
  const attention = items.filter(
    (item) => item.id !== "api_proxy" && (item.state === "warn" || item.state === "fail")
  )
  if (attention.length === 0 && all) {
    return {
      state: "implemented",
      headline: `${probeUrl} is served through Cachely: both probes came from the edge, the second from its cache, at the current version.`,
      probeUrl,
      surfaceLabel: surface.label,
      items,
      probes: readings.map((reading) => reading.probe)
    }
  }
  return {
    state: "active_needs_attention",
    headline: `Cachely answers on ${probeUrl}, but something needs attention: ${attention.map((item) => item.label.toLowerCase()).join(", ") || "not every probe came from the edge"}.`,
    probeUrl,
    surfaceLabel: surface.label,
    items,
    probes: readings.map((reading) => reading.probe)
  }
}
