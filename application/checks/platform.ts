import type { PageFacts } from "../ports/PageReader.ts"

/**
 * Which platform built a page, from the page itself, by our own rules (no third-party
 * fingerprint data): each rule lists the evidence it finds; the platform with the most
 * evidence wins, the earlier rule on a tie; none is `unknown`.
 */

export const platformIds = [
  "webflow",
  "nextjs",
  "nuxt",
  "gatsby",
  "astro",
  "sveltekit",
  "remix",
  "wordpress",
  "framer",
  "wix",
  "squarespace",
  "shopify",
  "hugo",
  "jekyll",
  "unknown"
] as const
export type PlatformId = (typeof platformIds)[number]

export interface Platform {
  readonly id: PlatformId
  readonly label: string
  readonly evidence: ReadonlyArray<string>
}

/** What the rules look at: the page's facts, where it was served from, and its response headers. */
export interface PageView {
  readonly facts: PageFacts
  readonly baseUrl: string
  readonly headers: ReadonlyArray<readonly [string, string]>
}

interface Rule {
  readonly id: Exclude<PlatformId, "unknown">
  readonly label: string
  readonly evidence: (page: Indexed) => ReadonlyArray<string>
}

/** The facts, indexed once for the rules. */
interface Indexed {
  readonly generators: ReadonlyArray<string>
  /** Resolved URLs of the page's references (absolute, lower-cased host). */
  readonly urls: ReadonlyArray<URL>
  readonly ids: ReadonlySet<string>
  readonly elementNames: ReadonlySet<string>
  readonly attributeNames: ReadonlySet<string>
  readonly htmlAttributes: ReadonlySet<string>
  readonly scripts: ReadonlyArray<string>
  readonly header: (name: string) => string | undefined
}

export const resolveUrl = (raw: string, base: string): URL | undefined => {
  try {
    return new URL(raw, base)
  } catch {
    return undefined
  }
}

const index = (page: PageView): Indexed => {
  const ids = new Set<string>()
  const elementNames = new Set<string>()
  const attributeNames = new Set<string>()
  let htmlAttributes = new Set<string>()
  for (const element of page.facts.elements) {
    elementNames.add(element.name)
    const id = element.attributes.get("id")
    if (id !== undefined) ids.add(id)
    for (const name of element.attributes.keys()) attributeNames.add(name)
    if (element.name === "html") htmlAttributes = new Set(element.attributes.keys())
  }
  return {
    generators: page.facts.generators,
    urls: page.facts.references.flatMap((reference) => resolveUrl(reference.url, page.baseUrl) ?? []),
    ids,
    elementNames,
    attributeNames,
    htmlAttributes,
    scripts: page.facts.texts
      .filter((text) => text.context === "inline script" || text.context.startsWith("serialized data"))
      .map((text) => text.text),
    header: (name) => page.headers.find(([key]) => key === name)?.[1]
  }
}

const when = (condition: boolean, evidence: string): ReadonlyArray<string> => (condition ? [evidence] : [])
const generator = (page: Indexed, prefix: string) =>
  page.generators.find((value) => value.toLowerCase().startsWith(prefix.toLowerCase()))
const generatorEvidence = (page: Indexed, prefix: string) => {
  const found = generator(page, prefix)
  return when(found !== undefined, `<meta name="generator" content="${found}">`)
}
const hostIs = (url: URL, host: string) => url.hostname === host || url.hostname.endsWith(`.${host}`)
const urlWithHost = (page: Indexed, host: string) => page.urls.find((url) => hostIs(url, host))
const urlWithPath = (page: Indexed, fragment: string) =>
  page.urls.find((url) => url.pathname.includes(fragment))
const inlineMentions = (page: Indexed, marker: string) => page.scripts.some((text) => text.includes(marker))
const attributeStarting = (page: Indexed, prefix: string) =>
  [...page.attributeNames].find((name) => name.startsWith(prefix))

const hostEvidence = (page: Indexed, host: string) => {
  const url = urlWithHost(page, host)
  return when(url !== undefined, `assets from ${url?.hostname} (${url?.href})`)
}
const pathEvidence = (page: Indexed, fragment: string) => {
  const url = urlWithPath(page, fragment)
  return when(url !== undefined, `${fragment} assets (${url?.href})`)
}

const rules: ReadonlyArray<Rule> = [
  {
    id: "webflow",
    label: "Webflow",
    evidence: (page) => [
      ...when(page.htmlAttributes.has("data-wf-site"), "data-wf-site on <html>"),
      ...when(page.htmlAttributes.has("data-wf-page"), "data-wf-page on <html>"),
      ...generatorEvidence(page, "Webflow"),
      ...hostEvidence(page, "website-files.com")
    ]
  },
  {
    id: "nextjs",
    label: "Next.js",
    evidence: (page) => [
      ...when(page.ids.has("__NEXT_DATA__"), '<script id="__NEXT_DATA__">'),
      ...when(page.ids.has("__next"), '<div id="__next">'),
      ...pathEvidence(page, "/_next/"),
      ...when(inlineMentions(page, "self.__next_f"), "self.__next_f in an inline script (App Router)"),
      ...when(/next\.js/i.test(page.header("x-powered-by") ?? ""), "X-Powered-By: Next.js")
    ]
  },
  {
    id: "nuxt",
    label: "Nuxt",
    evidence: (page) => [
      ...when(page.ids.has("__nuxt"), '<div id="__nuxt">'),
      ...when(page.ids.has("__NUXT_DATA__"), '<script id="__NUXT_DATA__">'),
      ...when(inlineMentions(page, "window.__NUXT__"), "window.__NUXT__ in an inline script"),
      ...pathEvidence(page, "/_nuxt/"),
      ...generatorEvidence(page, "Nuxt")
    ]
  },
  {
    id: "gatsby",
    label: "Gatsby",
    evidence: (page) => [
      ...when(page.ids.has("___gatsby"), '<div id="___gatsby">'),
      ...generatorEvidence(page, "Gatsby"),
      ...pathEvidence(page, "/page-data/")
    ]
  },
  {
    id: "astro",
    label: "Astro",
    evidence: (page) => {
      const scoped = attributeStarting(page, "data-astro-cid-")
      return [
        ...when(page.elementNames.has("astro-island"), "<astro-island> elements"),
        ...when(scoped !== undefined, `${scoped} attributes`),
        ...generatorEvidence(page, "Astro"),
        ...pathEvidence(page, "/_astro/")
      ]
    }
  },
  {
    id: "sveltekit",
    label: "SvelteKit",
    evidence: (page) => {
      const attribute = attributeStarting(page, "data-sveltekit-")
      return [
        ...when(attribute !== undefined, `${attribute} attributes`),
        ...pathEvidence(page, "/_app/immutable/"),
        ...when(inlineMentions(page, "__sveltekit_"), "__sveltekit_ in an inline script")
      ]
    }
  },
  {
    id: "remix",
    label: "Remix",
    evidence: (page) => [
      ...when(inlineMentions(page, "__remixContext"), "window.__remixContext in an inline script"),
      ...when(inlineMentions(page, "__remixManifest"), "window.__remixManifest in an inline script"),
      ...when(inlineMentions(page, "__reactRouterContext"), "window.__reactRouterContext in an inline script")
    ]
  },
  {
    id: "wordpress",
    label: "WordPress",
    evidence: (page) => [
      ...generatorEvidence(page, "WordPress"),
      ...pathEvidence(page, "/wp-content/"),
      ...pathEvidence(page, "/wp-includes/"),
      ...when(
        page.urls.some((url) => url.pathname.startsWith("/wp-json/")),
        "a /wp-json/ API link"
      )
    ]
  },
  {
    id: "framer",
    label: "Framer",
    evidence: (page) => {
      const attribute = attributeStarting(page, "data-framer-")
      return [
        ...generatorEvidence(page, "Framer"),
        ...hostEvidence(page, "framerusercontent.com"),
        ...when(attribute !== undefined, `${attribute} attributes`)
      ]
    }
  },
  {
    id: "wix",
    label: "Wix",
    evidence: (page) => [
      ...generatorEvidence(page, "Wix.com"),
      ...hostEvidence(page, "wixstatic.com"),
      ...hostEvidence(page, "parastorage.com"),
      ...when(page.header("x-wix-request-id") !== undefined, "X-Wix-Request-Id header")
    ]
  },
  {
    id: "squarespace",
    label: "Squarespace",
    evidence: (page) => [
      ...hostEvidence(page, "squarespace.com"),
      ...hostEvidence(page, "squarespace-cdn.com"),
      ...when(inlineMentions(page, "SQUARESPACE_CONTEXT"), "Static.SQUARESPACE_CONTEXT in an inline script")
    ]
  },
  {
    id: "shopify",
    label: "Shopify",
    evidence: (page) => [
      ...hostEvidence(page, "cdn.shopify.com"),
      ...when(inlineMentions(page, "Shopify.shop"), "Shopify.shop in an inline script"),
      ...when(page.header("x-shopid") !== undefined, "X-ShopId header"),
      ...when(/shopify/i.test(page.header("powered-by") ?? ""), "Powered-By: Shopify")
    ]
  },
  { id: "hugo", label: "Hugo", evidence: (page) => generatorEvidence(page, "Hugo") },
  { id: "jekyll", label: "Jekyll", evidence: (page) => generatorEvidence(page, "Jekyll") }
]

export const detectPlatform = (page: PageView): Platform => {
  const indexed = index(page)
  let best: Platform = { id: "unknown", label: "Unknown", evidence: [] }
  for (const rule of rules) {
    const evidence = rule.evidence(indexed)
    if (evidence.length > best.evidence.length) best = { id: rule.id, label: rule.label, evidence }
  }
  return best
}
