import { describe, expect, it } from "vitest"
import { readPage } from "../../adapters/outbound/HtmlPageReader.ts"
import { detectPlatform } from "../../application/checks/platform.ts"
import { analyseWebsite } from "../../application/checks/websiteAnalysis.ts"
import type { CmsConfig } from "../../domain/tenant/index.ts"

const base = "https://www.example.test/"
const facts = (html: string, link: ReadonlyArray<string> = [], csp: ReadonlyArray<string> = []) =>
  readPage({ html, linkHeaders: link, cspHeaders: csp })
const platformOf = (html: string, headers: ReadonlyArray<readonly [string, string]> = []) =>
  detectPlatform({ facts: facts(html), baseUrl: base, headers }).id

const contentful = { cms: "contentful", spaceId: "abc123", environment: "master" } as unknown as CmsConfig
const analyse = (
  html: string,
  options: { link?: ReadonlyArray<string>; csp?: ReadonlyArray<string>; cms?: CmsConfig } = {}
) =>
  analyseWebsite({
    facts: facts(html, options.link, options.csp),
    baseUrl: base,
    proxyHost: "acme.cachely.localhost",
    cms: options.cms ?? contentful
  })

describe("platform detection, by our own rules", () => {
  it.each([
    ['<html data-wf-site="1" data-wf-page="2"><body></body></html>', "webflow"],
    ['<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{}</script>', "nextjs"],
    [
      '<div id="__nuxt"></div><script>window.__NUXT__={}</script><script src="/_nuxt/entry.js"></script>',
      "nuxt"
    ],
    ['<meta name="generator" content="Gatsby 5.13.0"><div id="___gatsby"></div>', "gatsby"],
    ['<astro-island uid="x"></astro-island><link rel="stylesheet" href="/_astro/a.css">', "astro"],
    [
      '<body data-sveltekit-preload-data="hover"><script src="/_app/immutable/entry/start.js"></script></body>',
      "sveltekit"
    ],
    ["<script>window.__remixContext = {};</script>", "remix"],
    [
      '<meta name="generator" content="WordPress 6.7"><link rel="stylesheet" href="/wp-content/themes/x/style.css">',
      "wordpress"
    ],
    [
      '<meta name="generator" content="Framer 2f7a"><img src="https://framerusercontent.com/images/a.png">',
      "framer"
    ],
    [
      '<meta name="generator" content="Wix.com Website Builder"><img src="https://static.wixstatic.com/media/a.jpg">',
      "wix"
    ],
    [
      '<link rel="stylesheet" href="https://static1.squarespace.com/static/a.css"><script>Static.SQUARESPACE_CONTEXT={}</script>',
      "squarespace"
    ],
    [
      '<script src="https://cdn.shopify.com/s/files/1/a.js"></script><script>Shopify.shop = "x.myshopify.com";</script>',
      "shopify"
    ],
    ['<meta name="generator" content="Hugo 0.139.0">', "hugo"],
    ['<meta name="generator" content="Jekyll v4.3.4">', "jekyll"],
    ["<html><body><h1>Hand-written</h1></body></html>", "unknown"]
  ])("given %s, then %s", (html, id) => {
    expect(platformOf(html)).toBe(id)
  })

  it("given only a response header, then it counts as evidence", () => {
    expect(platformOf("<html></html>", [["x-powered-by", "Next.js"]])).toBe("nextjs")
  })
})

describe("Cachely and direct CMS usage", () => {
  it("given the CMS host in rendered contexts, then detected, one signal each with its context", () => {
    const result = analyse(`<html><head>
      <link rel="stylesheet" href="https://assets.ctfassets.net/a/site.css">
      <style>.hero{background:url('https://images.ctfassets.net/a/hero.jpg')}</style></head>
      <body><picture><source srcset="https://images.ctfassets.net/a/1.webp 1x, https://images.ctfassets.net/a/2.webp 2x"></picture>
      <script src="https://cdn.contentful.com/lib.js"></script></body></html>`)
    expect(result.directCmsUsage).toBe("detected")
    expect(result.directCmsSignals.map((signal) => signal.context)).toEqual([
      '<link rel="stylesheet" href>',
      "CSS url() in <style>",
      "<source srcset>",
      "<source srcset>",
      "<script src>"
    ])
    expect(result.verdictState).toBe("not_using")
  })

  it("given the CMS host only in hints, <noscript>, meta tags or inline scripts, then potential", () => {
    for (const html of [
      '<link rel="preconnect" href="https://cdn.contentful.com">',
      '<link rel="dns-prefetch" href="//images.ctfassets.net">',
      '<noscript><img src="https://images.ctfassets.net/a/x.jpg"></noscript>',
      '<meta property="og:image" content="https://images.ctfassets.net/a/og.jpg">',
      '<script>fetch("https:\\/\\/cdn.contentful.com\\/spaces\\/abc123")</script>'
    ]) {
      const result = analyse(html)
      expect(result.directCmsUsage, html).toBe("potential")
      expect(result.directCmsSignals[0]?.url, html).toMatch(/contentful\.com|ctfassets\.net/)
    }
  })

  it("given a Link header to the CMS, then detected; a preconnect Link header is only potential", () => {
    expect(
      analyse("<p>x</p>", { link: ["<https://images.ctfassets.net/a/hero.jpg>; rel=preload; as=image"] })
        .directCmsUsage
    ).toBe("detected")
    expect(
      analyse("<p>x</p>", { link: ["<https://cdn.contentful.com>; rel=preconnect"] }).directCmsUsage
    ).toBe("potential")
  })

  it("given both the proxy and the CMS loaded directly, then mixed", () => {
    const result = analyse(
      '<img src="https://acme.cachely.localhost/~assets/images.ctfassets.net/a.jpg"><img src="https://images.ctfassets.net/b.jpg">'
    )
    expect(result).toMatchObject({
      cachelyUsage: "detected",
      directCmsUsage: "detected",
      verdictState: "mixed"
    })
  })

  it("given relative /~api/ calls or the SDK, then Cachely is detected", () => {
    expect(analyse('<script>fetch("/~api/entries")</script>').cachelyUsage).toBe("detected")
    expect(
      analyse(
        '<script type="module" src="https://cdn.jsdelivr.net/npm/@cachely-io/sdk@2/dist/index.js"></script>'
      ).cachelyUsage
    ).toBe("detected")
  })

  it("given a generic tenant, then its own API origin is the CMS host", () => {
    const generic = { cms: "generic", apiOrigin: "https://api.shop.test" } as unknown as CmsConfig
    const result = analyse('<script src="https://api.shop.test/widget.js"></script>', { cms: generic })
    expect(result).toMatchObject({ directCmsUsage: "detected", cmsLabel: "your API (api.shop.test)" })
  })

  it("given a host that merely ends like a CMS host, then nothing", () => {
    expect(
      analyse(
        '<img src="https://images.ctfassets.net.evil.test/a.jpg"><meta name="x" content="https://cdn.contentful.com.evil.test/x">'
      ).directCmsUsage
    ).toBe("not_detected")
  })
})
