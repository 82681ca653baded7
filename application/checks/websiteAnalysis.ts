import type { CmsConfig } from "../../domain/tenant/index.ts"
import type { PageFacts } from "../ports/PageReader.ts"
import { resolveUrl } from "./platform.ts"

/**
 * Does a page use Cachely, or call its CMS directly? Read from the page's facts:
 * - Cachely usage: references to the tenant's proxy host, to `/~api/` or `/~assets/` paths,
 *   or to `@cachely-io/sdk`, anywhere in the page;
 * - direct CMS usage: the tenant's CMS's API and asset hosts (Contentful, Prismic, Storyblok,
 *   Sanity, Webflow; a generic tenant's own API origin). `detected` only where the browser loads
 *   it (a rendered resource context, see PageReference.rendered); `potential` where a host
 *   appears only in inline scripts, serialized data, `<noscript>`, meta tags, resource hints
 *   or the CSP, with the URL found there to verify.
 */

export interface Signal {
  readonly url: string
  readonly context: string
  readonly snippet: string
}

export type CachelyUsage = "detected" | "not_detected" | "inconclusive"
export type DirectCmsUsage = "detected" | "potential" | "not_detected"
export type VerdictState = "implemented" | "mixed" | "not_using" | "inconclusive"

export interface WebsiteAnalysis {
  readonly cachelyUsage: CachelyUsage
  readonly cachelySignals: ReadonlyArray<Signal>
  readonly directCmsUsage: DirectCmsUsage
  readonly directCmsSignals: ReadonlyArray<Signal>
  readonly cmsLabel: string | null
  readonly verdictState: VerdictState
  readonly verdict: string
}

interface CmsHosts {
  readonly label: string
  /** A host matches itself and its subdomains. */
  readonly hosts: ReadonlyArray<string>
}

/** The hosts each CMS serves its API and assets from. */
export const cmsHostTable: ReadonlyMap<string, CmsHosts> = new Map([
  [
    "contentful",
    {
      label: "Contentful",
      hosts: [
        "cdn.contentful.com",
        "preview.contentful.com",
        "graphql.contentful.com",
        "images.ctfassets.net",
        "assets.ctfassets.net",
        "videos.ctfassets.net",
        "downloads.ctfassets.net"
      ]
    }
  ],
  ["prismic", { label: "Prismic", hosts: ["prismic.io", "prismic-io.s3.amazonaws.com"] }],
  ["storyblok", { label: "Storyblok", hosts: ["storyblok.com"] }],
  ["sanity", { label: "Sanity", hosts: ["api.sanity.io", "apicdn.sanity.io", "cdn.sanity.io"] }],
  [
    "webflow",
    { label: "Webflow", hosts: ["api.webflow.com", "uploads-ssl.webflow.com", "website-files.com"] }
  ]
])

export interface AnalysisInput {
  readonly facts: PageFacts
  /** The URL the page was served from (relative references resolve against it). */
  readonly baseUrl: string
  /** `{slug}.{PROXY_BASE_DOMAIN}`. */
  readonly proxyHost: string
  readonly cms: CmsConfig
}

const maxSignals = 20
const sdkPackage = "@cachely-io/sdk"
const proxyPaths = ["/~api/", "/~assets/"]

const hostMatches = (host: string, candidate: string) => host === candidate || host.endsWith(`.${candidate}`)

/** The host of a token such as `https://x.y/z`, `//x.y/z` or a bare `x.y` (a CSP source). */
const hostOfToken = (token: string): string | undefined => {
  const stripped = token.replace(/^[a-z][a-z0-9+.-]*:/i, "").replace(/^\/\//, "")
  const host = stripped.split(/[/?#:]/)[0]?.toLowerCase()
  return host === undefined || host === "" ? undefined : host.replace(/^\*\./, "")
}

const stops = new Set([..." \t\r\n'\"`<>()[]{},;\\|^"])

/** The URL-like token around `text[index]`. */
const tokenAround = (text: string, index: number, length: number): string => {
  let start = index
  while (start > 0 && !stops.has(text[start - 1]!)) start--
  let end = index + length
  while (end < text.length && !stops.has(text[end]!)) end++
  return text.slice(start, end)
}

const excerpt = (text: string, index: number, length: number) => {
  const from = Math.max(0, index - 60)
  const to = Math.min(text.length, index + length + 60)
  const flat = text.slice(from, to).replace(/\s+/g, " ").trim()
  return `${from > 0 ? "…" : ""}${flat}${to < text.length ? "…" : ""}`
}

/** Occurrences of `needle` in a text, as tokens with their excerpt (JSON's `\/` read as `/`). */
const mentions = (raw: string, needle: string): ReadonlyArray<{ token: string; snippet: string }> => {
  const text = raw.replaceAll("\\/", "/").replaceAll("\\u002F", "/").replaceAll("\\u002f", "/")
  const lower = text.toLowerCase()
  const found: Array<{ token: string; snippet: string }> = []
  let at = lower.indexOf(needle)
  while (at !== -1 && found.length < maxSignals) {
    found.push({ token: tokenAround(text, at, needle.length), snippet: excerpt(text, at, needle.length) })
    at = lower.indexOf(needle, at + needle.length)
  }
  return found
}

const pushUnique = (signals: Array<Signal>, signal: Signal) => {
  if (signals.length >= maxSignals) return
  if (signals.some((known) => known.url === signal.url && known.context === signal.context)) return
  signals.push(signal)
}

/** The tenant's CMS hosts: its provider's, or a generic tenant's own API origin. */
const cmsCandidates = (cms: CmsConfig): ReadonlyArray<{ readonly id: string } & CmsHosts> => {
  if (cms.cms === "generic") {
    const host = resolveUrl(cms.apiOrigin, "https://invalid.invalid")?.hostname
    return host === undefined ? [] : [{ id: "generic", label: `your API (${host})`, hosts: [host] }]
  }
  const known = cmsHostTable.get(cms.cms)
  return known === undefined ? [] : [{ id: cms.cms, ...known }]
}

export const analyseWebsite = (input: AnalysisInput): WebsiteAnalysis => {
  const proxyHost = input.proxyHost.toLowerCase()
  const cachelySignals: Array<Signal> = []
  const detected: Array<Signal> = []
  const potential: Array<Signal> = []
  const candidates = cmsCandidates(input.cms)

  const cmsOf = (host: string) =>
    candidates.find((candidate) => candidate.hosts.some((cmsHost) => hostMatches(host, cmsHost)))

  for (const reference of input.facts.references) {
    const url = resolveUrl(reference.url, input.baseUrl)
    const signal = { url: url?.href ?? reference.url, context: reference.context, snippet: reference.snippet }
    if (url === undefined) continue
    const host = url.hostname.toLowerCase()
    if (
      host === proxyHost ||
      proxyPaths.some((path) => url.pathname.startsWith(path)) ||
      url.pathname.includes(sdkPackage) ||
      url.pathname.includes("%40cachely-io/sdk")
    ) {
      pushUnique(cachelySignals, signal)
      continue
    }
    const cms = cmsOf(host)
    if (cms === undefined) continue
    pushUnique(reference.rendered ? detected : potential, signal)
  }

  const cachelyNeedles = [proxyHost, ...proxyPaths, sdkPackage]
  const cmsNeedles = [...new Set(candidates.flatMap((candidate) => candidate.hosts))]
  for (const text of input.facts.texts) {
    for (const needle of cachelyNeedles) {
      for (const found of mentions(text.text, needle)) {
        pushUnique(cachelySignals, { url: found.token, context: text.context, snippet: found.snippet })
      }
    }
    for (const needle of cmsNeedles) {
      for (const found of mentions(text.text, needle)) {
        const host = hostOfToken(found.token)
        const cms = host === undefined ? undefined : cmsOf(host)
        if (cms === undefined) continue
        pushUnique(potential, { url: found.token, context: text.context, snippet: found.snippet })
      }
    }
  }

  const directCmsUsage: DirectCmsUsage =
    detected.length > 0 ? "detected" : potential.length > 0 ? "potential" : "not_detected"
  const cachelyUsage: CachelyUsage =
    cachelySignals.length > 0
      ? "detected"
      : directCmsUsage === "not_detected"
        ? "inconclusive"
        : "not_detected"
  const cmsLabel = candidates[0]?.label ?? input.cms.cms
  const directCmsSignals = [...detected, ...potential].slice(0, maxSignals)
  const { verdictState, verdict } = verdictOf({
    cachely: cachelySignals,
    detected,
    potential,
    cmsLabel
  })
  return { cachelyUsage, cachelySignals, directCmsUsage, directCmsSignals, cmsLabel, verdictState, verdict }
}

const where = (signal: Signal) => `${signal.url} (${signal.context})`
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`

const verdictOf = (found: {
  readonly cachely: ReadonlyArray<Signal>
  readonly detected: ReadonlyArray<Signal>
  readonly potential: ReadonlyArray<Signal>
  readonly cmsLabel: string
}): { verdictState: VerdictState; verdict: string } => {
  const { cachely, detected, potential, cmsLabel } = found
  if (cachely.length > 0 && detected.length > 0) {
    return {
      verdictState: "mixed",
      verdict: `The site uses Cachely (${count(cachely.length, "reference")}, e.g. ${where(cachely[0]!)}) but still loads ${cmsLabel} directly in ${count(detected.length, "place")}, e.g. ${where(detected[0]!)}.`
    }
  }
  if (cachely.length > 0) {
    const note =
      potential.length > 0
        ? ` ${cmsLabel} also appears in ${where(potential[0]!)}; check that the browser does not call it.`
        : ""
    return {
      verdictState: "implemented",
      verdict: `The site goes through Cachely (${count(cachely.length, "reference")}, e.g. ${where(cachely[0]!)}) and loads nothing from ${cmsLabel} directly.${note}`
    }
  }
  if (detected.length > 0) {
    return {
      verdictState: "not_using",
      verdict: `The site loads ${cmsLabel} directly (${count(detected.length, "place")}, e.g. ${where(detected[0]!)}) and shows no sign of Cachely.`
    }
  }
  if (potential.length > 0) {
    return {
      verdictState: "inconclusive",
      verdict: `The page shows no sign of Cachely and mentions ${cmsLabel} only in data it carries (e.g. ${where(potential[0]!)}), which may be server-side data rather than calls from the browser: verify those URLs.`
    }
  }
  return {
    verdictState: "inconclusive",
    verdict: `The page shows neither Cachely nor direct ${cmsLabel} calls. A site rendered on the server fetches its content there, where a page cannot show it; the cachely-check tells whether visitors are served through the edge.`
  }
}
