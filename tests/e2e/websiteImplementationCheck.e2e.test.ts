import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseTargets } from "../support/databases.ts"
import { request, uniqueSlug } from "../support/http.ts"
import { type LocalSite, startLocalSite } from "../support/localSites.ts"
import { redisUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * POST /api/tenants/{slug}/website-implementation-check against fixture sites written like
 * real ones, served by a local server that picks the page by Host. ORIGIN_OVERRIDES sends each
 * site's https origin there (the request keeps its Host); every other address meets the
 * outbound fetcher's rules. An "internal" server on loopback must never be reached.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/sites/${name}`, import.meta.url), "utf8")

const csp =
  "default-src 'self'; img-src 'self' data: https://images.ctfassets.net; connect-src 'self' https://cdn.contentful.com"

let sites: LocalSite
let internal: LocalSite
/** The tenant whose proxy host the "proxy" fixture references (set per target). */
let proxyHost = ""

const siteOrigins = [
  "https://www.northwind-coffee.test",
  "https://www.studio-alder.test",
  "https://www.lumen-labs.test",
  "https://www.harbor-bikes.test",
  "https://www.marigold.test",
  "https://www.bramble-thyme.test",
  "https://old.bramble-thyme.test",
  "https://www.leaky.test",
  "https://www.huge.test",
  "https://api.feed.test",
  "https://www.gone.test"
]

beforeAll(async () => {
  internal = await startLocalSite((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" })
    response.end("<h1>internal</h1>")
  })
  sites = await startLocalSite((request, response) => {
    const html = (page: string, headers: Record<string, string> = {}) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", ...headers })
      response.end(page)
    }
    switch (request.headers.host) {
      case "www.northwind-coffee.test":
        return html(fixture("nextjs-ssr.html"), { "x-powered-by": "Next.js" })
      case "www.studio-alder.test":
        return html(fixture("webflow-ctfassets.html"))
      case "www.lumen-labs.test":
        return html(fixture("proxy-host.html").replaceAll("{{PROXY_HOST}}", proxyHost))
      case "www.harbor-bikes.test":
        return html(fixture("next-data-only.html"))
      case "www.marigold.test":
        return html(fixture("csp-only.html"), { "content-security-policy": csp })
      case "www.bramble-thyme.test":
        return html(fixture("wordpress.html"), {
          link: '<https://www.bramble-thyme.test/wp-json/>; rel="https://api.w.org/"'
        })
      case "old.bramble-thyme.test":
        response.writeHead(301, { location: "https://www.bramble-thyme.test/" })
        return response.end()
      case "www.leaky.test":
        response.writeHead(302, { location: `http://127.0.0.1:${internal.port}/admin` })
        return response.end()
      case "www.huge.test": {
        response.writeHead(200, { "content-type": "text/html" })
        const row = `<p>${"lorem ipsum dolor sit amet ".repeat(40)}</p>\n`
        response.write("<!doctype html><html><body>")
        for (let written = 0; written < 5 * 1024 * 1024; written += row.length) response.write(row)
        return response.end("</body></html>")
      }
      case "api.feed.test":
        response.writeHead(200, { "content-type": "application/json" })
        return response.end('{"items":[]}')
      case "www.gone.test":
        response.writeHead(404, { "content-type": "text/html" })
        return response.end("<h1>Not found</h1>")
      default:
        response.writeHead(421)
        return response.end()
    }
  })
})

afterAll(async () => {
  await sites?.close()
  await internal?.close()
})

for (const target of databaseTargets) {
  describe(`website-implementation-check (${target.name})`, () => {
    let server: TestServer
    let owner: string
    let slug: string

    const check = (body: unknown, tenant = slug) =>
      request(server, "POST", `/api/tenants/${tenant}/website-implementation-check`, { token: owner, body })

    beforeAll(async () => {
      server = await startTestServer(target, {
        ORIGIN_OVERRIDES: JSON.stringify(
          Object.fromEntries(siteOrigins.map((origin) => [origin, sites.base]))
        ),
        CHECK_RATE_LIMIT: "100/10",
        ...(target.name === "postgres" && redisUrl !== undefined ? { REDIS_URL: redisUrl } : {})
      })
      owner = await server.token(`user_site_owner_${target.name}`)
      slug = uniqueSlug("site")
      const created = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug, cms: "contentful", spaceId: "abc123", siteProxy: true }
      })
      expect(created.status).toBe(201)
      proxyHost = `${slug}.cachely.localhost`
    })
    afterAll(async () => {
      await server?.close()
    })

    it("given a Next.js page calling Contentful only on the server, then Next.js and an honest inconclusive", async () => {
      const { status, body } = await check({ url: "https://www.northwind-coffee.test/" })
      expect(status).toBe(200)
      expect(body.ok).toBe(true)
      expect(body.finalUrl).toBe("https://www.northwind-coffee.test/")
      expect(body.platform.id).toBe("nextjs")
      expect(body.platform.evidence).toContain('<script id="__NEXT_DATA__">')
      expect(body.analysis).toMatchObject({
        cachelyUsage: "inconclusive",
        directCmsUsage: "not_detected",
        directCmsSignals: [],
        cmsLabel: "Contentful",
        verdictState: "inconclusive"
      })
      expect(body.analysis.verdict).toMatch(/server/)
    })

    it("given a Webflow page with images.ctfassets.net images, then Webflow and Contentful detected where the browser loads it", async () => {
      const { body } = await check({ url: "www.studio-alder.test" })
      expect(body.ok).toBe(true)
      expect(body.finalUrl).toBe("https://www.studio-alder.test/")
      expect(body.platform.id).toBe("webflow")
      expect(body.platform.evidence).toContain("data-wf-site on <html>")
      expect(body.analysis.directCmsUsage).toBe("detected")
      expect(body.analysis.cachelyUsage).toBe("not_detected")
      expect(body.analysis.verdictState).toBe("not_using")
      const contexts = body.analysis.directCmsSignals.map((signal: { context: string }) => signal.context)
      expect(contexts).toEqual(expect.arrayContaining(["<img src>", "<img srcset>", "CSS url() in style="]))
      for (const signal of body.analysis.directCmsSignals) {
        expect(new URL(signal.url).hostname).toBe("images.ctfassets.net")
        expect(signal.snippet.length).toBeGreaterThan(0)
      }
    })

    it("given a page using the tenant's proxy host, then Cachely is detected and the verdict is implemented", async () => {
      const { body } = await check({ url: "https://www.lumen-labs.test/" })
      expect(body.ok).toBe(true)
      expect(body.platform.id).toBe("astro")
      expect(body.analysis.cachelyUsage).toBe("detected")
      expect(body.analysis.directCmsUsage).toBe("not_detected")
      expect(body.analysis.verdictState).toBe("implemented")
      const urls = body.analysis.cachelySignals.map((signal: { url: string }) => signal.url)
      expect(urls).toContain(
        `https://${proxyHost}/~assets/images.ctfassets.net/abc123/7Hj2kL9mNp/3e4f5a6b/lamp.jpg?w=960`
      )
      expect(urls).toContain(`https://${proxyHost}/~api/spaces/abc123/environments/master/entries`)
    })

    it("given a page with the CMS host only in __NEXT_DATA__, then it is potential, with the matched URL", async () => {
      const { body } = await check({ url: "https://www.harbor-bikes.test/" })
      expect(body.ok).toBe(true)
      expect(body.analysis.directCmsUsage).toBe("potential")
      expect(body.analysis.verdictState).toBe("inconclusive")
      expect(body.analysis.directCmsSignals[0]).toMatchObject({
        url: "//images.ctfassets.net/abc123/5Tg6Yh7Uj8/0a9b8c7d/one.jpg",
        context: "serialized data (#__NEXT_DATA__)"
      })
    })

    it("given a page with the CMS hosts only in its CSP, then they are potential", async () => {
      const { body } = await check({ url: "https://www.marigold.test/" })
      expect(body.ok).toBe(true)
      expect(body.analysis.directCmsUsage).toBe("potential")
      const found = body.analysis.directCmsSignals.map((signal: { url: string; context: string }) => [
        signal.url,
        signal.context
      ])
      expect(found).toEqual(
        expect.arrayContaining([
          ["https://images.ctfassets.net", "CSP header"],
          ["https://cdn.contentful.com", "CSP header"]
        ])
      )
    })

    it("given a WordPress page reached through a redirect, then WordPress at the final URL", async () => {
      const { body } = await check({ url: "https://old.bramble-thyme.test/" })
      expect(body.ok).toBe(true)
      expect(body.finalUrl).toBe("https://www.bramble-thyme.test/")
      expect(body.platform.id).toBe("wordpress")
      expect(body.platform.evidence).toContain('<meta name="generator" content="WordPress 6.7.1">')
      expect(body.analysis.directCmsUsage).toBe("not_detected")
    })

    it("given a redirect to a loopback address, then blocked_address and the internal server is never reached", async () => {
      const { body } = await check({ url: "https://www.leaky.test/" })
      expect(body).toMatchObject({ ok: false, error: "blocked_address" })
      expect(body.finalUrl).toBe(`http://127.0.0.1:${internal.port}/admin`)
      expect(internal.requests()).toBe(0)
    })

    it("given a private or loopback address, then blocked_address", async () => {
      for (const url of [
        `http://127.0.0.1:${internal.port}/`,
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/"
      ]) {
        const { body } = await check({ url })
        expect(body, url).toMatchObject({ ok: false, error: "blocked_address" })
      }
      expect(internal.requests()).toBe(0)
    })

    it("given a 5 MB page, then too_large", async () => {
      const { body } = await check({ url: "https://www.huge.test/" })
      expect(body).toMatchObject({ ok: false, error: "too_large", finalUrl: "https://www.huge.test/" })
    })

    it("given an answer that is not HTML, then not_html", async () => {
      const { body } = await check({ url: "https://api.feed.test/" })
      expect(body).toMatchObject({ ok: false, error: "not_html" })
      expect(body.message).toContain("application/json")
    })

    it("given an HTTP error, then http_error", async () => {
      const { body } = await check({ url: "https://www.gone.test/missing" })
      expect(body).toMatchObject({
        ok: false,
        error: "http_error",
        finalUrl: "https://www.gone.test/missing"
      })
    })

    it("given an unparsable URL or another scheme, then invalid_url", async () => {
      for (const url of [
        "http://",
        "not a url at all",
        "ftp://files.example.com/",
        "https://user:pw@example.com/",
        ""
      ]) {
        const { status, body } = await check({ url })
        expect(status, url).toBe(200)
        expect(body, url).toMatchObject({ ok: false, error: "invalid_url" })
      }
    })

    it("given a product domain (the tenant's preview host or anything under PROXY_BASE_DOMAIN), then product_domain", async () => {
      for (const url of [`https://${proxyHost}/`, "https://other.cachely.localhost/", "cachely.localhost"]) {
        const { body } = await check({ url })
        expect(body, url).toMatchObject({ ok: false, error: "product_domain" })
      }
    })

    it("given a missing or non-string url, then 400 validation_failed", async () => {
      for (const body of [{}, { url: 5 }, { url: null }, { url: ["https://x.test"] }]) {
        const reply = await check(body)
        expect(reply.status, JSON.stringify(body)).toBe(400)
        expect(reply.body.error).toBe("validation_failed")
        expect(reply.body.errors.url).toBeDefined()
      }
    })
  })
}
