import { createHmac, randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { sealForEdge } from "../../adapters/crypto/edgeSeal.ts"
import type { EdgeApiConfig, EdgeSnapshot } from "../../domain/edge/snapshot.ts"
import { edgeRequest, edgeStream } from "./support/edgeHttp.ts"
import type { EdgeUnderTest, StartEdge } from "./support/hosts.ts"
import { type Ingest, type Origin, startIngest, startOrigin } from "./support/origins.ts"

/**
 * One edge conformance suite (CONTRACT.md, Edge), run against every host: the Node host
 * and the Worker host under Miniflare. Real origins on loopback, reached through
 * ORIGIN_OVERRIDES exactly as the contract says (the connection moves, the Host stays).
 */
const sealKey = randomBytes(32)
const edgeToken = `edge_${randomBytes(16).toString("hex")}`
const apiToken = `cms_secret_${randomBytes(12).toString("hex")}`
const timeoutMs = 400
let slugCounter = 0
const uniqueSlug = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(slugCounter++).toString(36)}`

const snapshotFor = (slug: string, changes: Partial<EdgeSnapshot> = {}): EdgeSnapshot => ({
  schemaVersion: 1,
  tenantId: `tenant_${slug}`,
  slug,
  cms: { cms: "contentful", spaceId: "abc123" },
  proxyBase: `https://${slug}.cachely.localhost`,
  publicOrigin: `https://${slug}.cachely.localhost`,
  websiteOrigin: "https://www.acme.test",
  siteProxy: true,
  cache: { ttl: 60, apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 1 },
  api: null,
  gate: { apiProxy: "closed_unconfigured", siteProxy: "open" },
  customDomains: [],
  overQuota: false,
  quotaMonth: null,
  quotaAction: "report",
  updatedAt: "2026-12-01T00:00:00.000Z",
  ...changes
})

const apiFor = (slug: string, changes: Partial<EdgeApiConfig> = {}): EdgeApiConfig => ({
  origin: "https://api.acme.test",
  authMode: "bearer",
  authHeaderName: null,
  authQueryParam: null,
  cacheTTL: 60,
  cacheEnabled: true,
  previewEnabled: false,
  hasApiToken: true,
  sealedToken: sealForEdge(sealKey, slug, apiToken),
  ...changes
})

const hostOf = (slug: string) => `${slug}.cachely.localhost`

export const edgeConformance = (name: string, start: StartEdge) =>
  describe(`edge conformance: ${name}`, () => {
    let site: Origin
    let api: Origin
    let assets: Origin
    let ingest: Ingest
    let edge: EdgeUnderTest

    beforeAll(async () => {
      ;[site, api, assets, ingest] = await Promise.all([
        startOrigin("site"),
        startOrigin("api"),
        startOrigin("assets"),
        startIngest()
      ])
      site.route("/slow", (_req, res) => {
        setTimeout(() => {
          res.writeHead(200)
          res.end("late")
        }, timeoutMs * 4)
      })
      site.route("/cookie", (_req, res) => {
        res.writeHead(200, { "set-cookie": "session=abc; HttpOnly", "content-type": "text/plain" })
        res.end(`cookie ${site.seen.length}`)
      })
      site.route("/private", (_req, res) => {
        res.writeHead(200, { "cache-control": "private, max-age=60" })
        res.end(`private ${site.seen.length}`)
      })
      site.route("/broken", (_req, res) => {
        res.writeHead(500)
        res.end(`broken ${site.seen.length}`)
      })
      site.route("/missing", (_req, res) => {
        res.writeHead(404)
        res.end(`missing ${site.seen.length}`)
      })
      site.route("/echo", (req, res, body) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.end(`${req.method} ${body}`)
      })
      edge = await start({
        overrides: {
          "https://www.acme.test": site.url,
          "https://api.acme.test": api.url,
          "https://images.ctfassets.net": assets.url
        },
        sealKey,
        edgeToken,
        tenantryUrl: ingest.url,
        upstreamTimeoutMs: timeoutMs
      })
    })

    afterAll(async () => {
      await edge?.close()
      await Promise.all([site?.close(), api?.close(), assets?.close(), ingest?.close()])
    })

    /** A tenant whose snapshot is in the KV, served at its preview host. */
    const given = async (prefix: string, changes: (slug: string) => Partial<EdgeSnapshot> = () => ({})) => {
      const slug = uniqueSlug(prefix)
      await edge.putKv(`proxy:${slug}`, JSON.stringify(snapshotFor(slug, changes(slug))))
      return slug
    }
    const get = (host: string, path = "/", headers: Record<string, string> = {}) =>
      edgeRequest(edge.url, { host, path, headers })

    const expectEnvelope = (reply: Awaited<ReturnType<typeof get>>, status: number, code: string) => {
      expect(reply.status).toBe(status)
      expect(reply.json()).toMatchObject({ error: code, message: expect.any(String) })
      expect(reply.headers["x-cachely-cache"]).toBe("BYPASS")
      expect(reply.headers["x-cachely-request-id"]).toEqual(expect.any(String))
      expect(reply.headers["cache-status"]).toMatch(/^Cachely; /)
    }

    describe("routing by Host", () => {
      it("given a tenant, when its preview host is asked twice, then a MISS from the website then a HIT, with every edge header", async () => {
        const slug = await given("route")
        const first = await get(hostOf(slug), "/page?x=1")
        expect(first.status).toBe(200)
        expect(first.body).toMatch(/^site \/page\?x=1 #\d+$/)
        expect(first.headers).toMatchObject({
          "x-cachely-cache": "MISS",
          "x-cachely-surface": "site",
          "x-cachely-tenant": slug,
          "x-cachely-version": "1",
          "cache-status": "Cachely; fwd=miss; stored"
        })
        const second = await get(hostOf(slug), "/page?x=1")
        expect(second.body).toBe(first.body)
        expect(second.headers["x-cachely-cache"]).toBe("HIT")
        expect(second.headers["cache-status"]).toMatch(/^Cachely; hit; ttl=\d+$/)
        expect(second.headers["x-cachely-request-id"]).not.toBe(first.headers["x-cachely-request-id"])
      })

      it("given a request through the edge, then the origin gets its own Host, X-Forwarded-Host and -Proto, and no hop-by-hop header", async () => {
        const slug = await given("fwd")
        await get(hostOf(slug), "/forwarded", {
          connection: "x-hop-secret",
          "x-hop-secret": "dropped",
          "proxy-authorization": "Basic eA=="
        })
        const seen = site.seen.find((request) => request.url === "/forwarded")
        expect(seen?.headers.host).toBe("www.acme.test")
        expect(seen?.headers["x-forwarded-host"]).toBe(hostOf(slug))
        expect(seen?.headers["x-forwarded-proto"]).toEqual(expect.stringMatching(/^https?$/))
        expect(seen?.headers["x-hop-secret"]).toBeUndefined()
        expect(seen?.headers["proxy-authorization"]).toBeUndefined()
      })

      it("given an origin that sends our headers and hop-by-hop ones, then the edge's own stand and the hop-by-hop ones are gone", async () => {
        site.route("/spoof", (_req, res) => {
          res.writeHead(200, {
            "content-type": "text/plain",
            "x-cachely-cache": "HIT",
            "x-cachely-tenant": "someone-else",
            "cache-status": "Forged; hit",
            connection: "keep-alive, x-private-hop",
            "x-private-hop": "internal",
            "keep-alive": "timeout=5"
          })
          res.end("spoofed")
        })
        const slug = await given("spoof")
        const reply = await get(hostOf(slug), "/spoof")
        expect(reply.body).toBe("spoofed")
        expect(reply.headers["x-cachely-cache"]).toBe("MISS")
        expect(reply.headers["x-cachely-tenant"]).toBe(slug)
        expect(reply.headers["cache-status"]).toMatch(/^Cachely; /)
        expect(reply.headers["x-private-hop"]).toBeUndefined()
      })

      it("given an active custom domain (host:{hostname}), when asked with a port and in upper case, then it serves the tenant", async () => {
        const slug = await given("custom")
        const hostname = `www.${slug}.example`
        await edge.putKv(`host:${hostname}`, JSON.stringify({ slug }))
        const reply = await get(`WWW.${slug.toUpperCase()}.EXAMPLE:8443`, "/custom")
        expect(reply.status).toBe(200)
        expect(reply.headers["x-cachely-tenant"]).toBe(slug)
      })

      it("given unknown and hostile hosts, then 404 not_found in the envelope, never a 5xx", async () => {
        const hosts = [
          "nobody-here.cachely.localhost",
          "unknown.example.com",
          "127.0.0.1",
          `${"x".repeat(300)}.cachely.localhost`,
          "acme.cachely.localhost.evil.com",
          ...(edge.seesMalformedHosts
            ? ["../../etc/passwd", "a b.cachely.localhost", "proxy:acme", "evil.com\\@acme.cachely.localhost"]
            : [])
        ]
        for (const host of hosts) expectEnvelope(await get(host), 404, "not_found")
      })

      it("given a deleted tenant (its snapshot removed), then 404 not_found within 2 s", async () => {
        const slug = await given("deleted")
        expect((await get(hostOf(slug))).status).toBe(200)
        await edge.deleteKv(`proxy:${slug}`)
        const deadline = Date.now() + 2000
        let status = 200
        while (status !== 404 && Date.now() < deadline) {
          status = (await get(hostOf(slug), `/after-delete-${Date.now()}`)).status
        }
        expect(status).toBe(404)
      })
    })

    describe("gates", () => {
      it("given no API configured, then /~api/ is 404 not_found", async () => {
        const slug = await given("noapi")
        expectEnvelope(await get(hostOf(slug), "/~api/entries"), 404, "not_found")
      })

      it("given an API whose token is missing, then /~api/ is 503 unavailable and the origin is never asked", async () => {
        const slug = await given("notoken", (slug) => ({
          api: apiFor(slug, { hasApiToken: false, sealedToken: null }),
          gate: { apiProxy: "closed_missing_token", siteProxy: "open" }
        }))
        const before = api.seen.length
        expectEnvelope(await get(hostOf(slug), "/~api/entries"), 503, "unavailable")
        expect(api.seen.length).toBe(before)
      })

      it("given a token sealed for another tenant, then 503 unavailable: it does not open here", async () => {
        const slug = await given("stolen", () => ({
          api: apiFor("someone-else"),
          gate: { apiProxy: "open", siteProxy: "open" }
        }))
        expectEnvelope(await get(hostOf(slug), "/~api/entries"), 503, "unavailable")
      })

      it("given the site proxy off, then the website is 404 not_found", async () => {
        const slug = await given("nosite", () => ({
          siteProxy: false,
          gate: { apiProxy: "closed_unconfigured", siteProxy: "closed" }
        }))
        expectEnvelope(await get(hostOf(slug), "/"), 404, "not_found")
      })
    })

    describe("monthly quotas", () => {
      const thisMonth = () => new Date().toISOString().slice(0, 7)

      it("given a tenant over quota this month on a reporting plan, then it is served, with x-cachely-quota: over", async () => {
        const slug = await given("quota-report", () => ({
          overQuota: true,
          quotaMonth: thisMonth(),
          quotaAction: "report"
        }))
        const reply = await get(hostOf(slug), "/quota-report")
        expect(reply.status).toBe(200)
        expect(reply.headers["x-cachely-quota"]).toBe("over")
      })

      it("given a tenant over quota this month on a blocking plan, then 429 rate_limited with Retry-After, and the origin is never asked", async () => {
        const slug = await given("quota-block", () => ({
          overQuota: true,
          quotaMonth: thisMonth(),
          quotaAction: "block"
        }))
        const before = site.seen.length
        const reply = await get(hostOf(slug), "/quota-block")
        expectEnvelope(reply, 429, "rate_limited")
        expect(reply.headers["x-cachely-quota"]).toBe("over")
        expect(Number(reply.headers["retry-after"])).toBeGreaterThan(0)
        expect(site.seen.length).toBe(before)
      })

      it("given a tenant that went over quota in an earlier month, then it is served as usual, without the header", async () => {
        const slug = await given("quota-past", () => ({
          overQuota: true,
          quotaMonth: "2020-01",
          quotaAction: "block"
        }))
        const reply = await get(hostOf(slug), "/quota-past")
        expect(reply.status).toBe(200)
        expect(reply.headers["x-cachely-quota"]).toBeUndefined()
      })
    })

    describe("the API proxy", () => {
      it("given a bearer API, then the token is injected upstream and appears nowhere in the answer", async () => {
        const slug = await given("bearer", (slug) => ({
          api: apiFor(slug),
          gate: { apiProxy: "open", siteProxy: "open" }
        }))
        const reply = await get(hostOf(slug), "/~api/spaces/abc/entries?limit=2", { cookie: "site=1" })
        expect(reply.status).toBe(200)
        expect(reply.headers["x-cachely-surface"]).toBe("api")
        const seen = api.seen.find((request) => request.url === "/spaces/abc/entries?limit=2")
        expect(seen?.headers.authorization).toBe(`Bearer ${apiToken}`)
        expect(seen?.headers.host).toBe("api.acme.test")
        expect(seen?.headers.cookie).toBeUndefined()
        expect(JSON.stringify(reply.headers) + reply.body).not.toContain(apiToken)
      })

      it("given a header-mode API, then the token goes in the named header", async () => {
        const slug = await given("header", (slug) => ({
          api: apiFor(slug, { authMode: "header", authHeaderName: "X-Api-Key" }),
          gate: { apiProxy: "open", siteProxy: "open" }
        }))
        await get(hostOf(slug), "/~api/header-mode")
        expect(api.seen.find((request) => request.url === "/header-mode")?.headers["x-api-key"]).toBe(
          apiToken
        )
      })

      it("given a query-mode API, then the token goes in the upstream query only, and the cache key ignores it", async () => {
        api.route("/query-mode", (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(`{"items":${api.seen.length}}`)
        })
        const slug = await given("query", (slug) => ({
          api: apiFor(slug, { authMode: "query", authQueryParam: "access_token" }),
          gate: { apiProxy: "open", siteProxy: "open" }
        }))
        const first = await get(hostOf(slug), "/~api/query-mode?b=2&a=1")
        const seen = api.seen.find((request) => request.url.startsWith("/query-mode"))
        expect(new URL(seen?.url ?? "", "http://x").searchParams.get("access_token")).toBe(apiToken)
        expect(first.body).not.toContain(apiToken)
        const second = await get(hostOf(slug), "/~api/query-mode?a=1&b=2")
        expect(second.headers["x-cachely-cache"]).toBe("HIT")
      })
    })

    describe("CMS assets", () => {
      it("given the CMS's own asset host, then it is proxied there", async () => {
        const slug = await given("assets")
        const reply = await get(hostOf(slug), "/~assets/images.ctfassets.net/space/photo.jpg")
        expect(reply.status).toBe(200)
        expect(reply.headers["x-cachely-surface"]).toBe("assets")
        expect(
          assets.seen.some(
            (request) => request.url === "/space/photo.jpg" && request.headers.host === "images.ctfassets.net"
          )
        ).toBe(true)
      })

      it("given another host, traversal or encoded slashes, then a 4xx and no request leaves for them", async () => {
        const slug = await given("traversal")
        const before = { assets: assets.seen.length }
        const paths = [
          "/~assets/evil.example.com/x.jpg",
          "/~assets/a.storyblok.com/x.jpg",
          "/~assets/images.ctfassets.net/a%2F..%2Fb",
          "/~assets/images.ctfassets.net%2Fevil.example.com/x",
          "/~assets/images.ctfassets.net/..%5c..%5cwin.ini",
          "/~assets/"
        ]
        for (const path of paths) {
          const reply = await get(hostOf(slug), path)
          expect(reply.status, path).toBeGreaterThanOrEqual(400)
          expect(reply.status, path).toBeLessThan(500)
          expect(reply.json().error, path).toEqual(expect.any(String))
        }
        expect(assets.seen.length).toBe(before.assets)
        // A raw `..` is resolved before routing (as every URL parser does): it can only climb to
        // the website, never to another asset host.
        for (const path of [
          "/~assets/images.ctfassets.net/../../etc/passwd",
          "/~assets/images.ctfassets.net/%2e%2e/%2e%2e/secret"
        ]) {
          const climbed = await get(hostOf(slug), path)
          expect(climbed.status, path).toBeLessThan(500)
          expect(climbed.headers["x-cachely-surface"], path).toBe("site")
        }
        expect(assets.seen.length).toBe(before.assets)
      })
    })

    describe("caching", () => {
      it("given a cached page, when the html cache version is bumped, then a MISS on the new version, then a HIT", async () => {
        const slug = await given("bump")
        await get(hostOf(slug), "/bumped")
        expect((await get(hostOf(slug), "/bumped")).headers["x-cachely-cache"]).toBe("HIT")
        await edge.putKv(
          `proxy:${slug}`,
          JSON.stringify(
            snapshotFor(slug, {
              cache: { ttl: 60, apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 2 }
            })
          )
        )
        const deadline = Date.now() + 2000
        let reply = await get(hostOf(slug), "/bumped")
        while (reply.headers["x-cachely-version"] !== "2" && Date.now() < deadline)
          reply = await get(hostOf(slug), "/bumped")
        expect(reply.headers).toMatchObject({ "x-cachely-version": "2", "x-cachely-cache": "MISS" })
        expect((await get(hostOf(slug), "/bumped")).headers).toMatchObject({
          "x-cachely-version": "2",
          "x-cachely-cache": "HIT"
        })
      })

      it("given tracking parameters and another order, then the same cache entry", async () => {
        const slug = await given("query")
        await get(hostOf(slug), "/q?b=2&a=1")
        const reply = await get(hostOf(slug), "/q?a=1&utm_source=news&b=2&gclid=x&fbclid=y")
        expect(reply.headers["x-cachely-cache"]).toBe("HIT")
      })

      it("given Set-Cookie, private or a 500, then nothing is stored; a 404 is", async () => {
        const slug = await given("nostore")
        for (const path of ["/cookie", "/private", "/broken"]) {
          const first = await get(hostOf(slug), path)
          expect(first.headers["x-cachely-cache"], path).toBe("MISS")
          expect(first.headers["cache-status"], path).toBe("Cachely; fwd=miss")
          const second = await get(hostOf(slug), path)
          expect(second.headers["x-cachely-cache"], path).toBe("MISS")
        }
        await get(hostOf(slug), "/missing")
        const again = await get(hostOf(slug), "/missing")
        expect(again.status).toBe(404)
        expect(again.headers["x-cachely-cache"]).toBe("HIT")
      })

      it("given a POST or an Authorization header, then BYPASS, and the request body reaches the origin", async () => {
        const slug = await given("bypass")
        const posted = await edgeRequest(edge.url, {
          host: hostOf(slug),
          path: "/echo",
          method: "POST",
          body: "x".repeat(100_000)
        })
        expect(posted.headers["x-cachely-cache"]).toBe("BYPASS")
        expect(posted.body).toBe(`POST ${"x".repeat(100_000)}`)
        const authorized = await get(hostOf(slug), "/auth", { authorization: "Bearer visitor" })
        expect(authorized.headers["x-cachely-cache"]).toBe("BYPASS")
      })
    })

    describe("streaming, timeouts and private upstreams", () => {
      it("given an origin that answers slowly in parts, then the first part reaches the client before the origin finishes", async () => {
        const slug = await given("stream")
        let release: () => void = () => undefined
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        site.route("/stream", (_req, res) => {
          res.writeHead(200, { "content-type": "text/plain" })
          res.write("first part;")
          released.then(() => res.end("second part"))
        })
        const reply = await edgeStream(edge.url, {
          host: hostOf(slug),
          path: "/stream",
          onText: (body) => {
            if (body === "first part;") release()
          }
        })
        expect(reply).toEqual({ body: "first part;second part", ended: true })
      })

      it("given an origin that sends its headers and part of its body and then stalls, then the client's answer is cut off after EDGE_UPSTREAM_TIMEOUT_MS, the origin's request is aborted and nothing partial is cached", async () => {
        const slug = await given("stall")
        let originClosed = false
        let requests = 0
        site.route("/stall", (req, res) => {
          requests += 1
          res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=600" })
          res.write("first part;")
          req.socket.once("close", () => {
            originClosed = true
          })
        })
        const cutOff = () => edgeStream(edge.url, { host: hostOf(slug), path: "/stall" })
        // Were the stall not cut off, this would wait for the test's own timeout and fail it.
        const first = await cutOff()
        expect(first.body).toBe("first part;")
        // A body cut short is not a complete answer: the Node host closes the client's
        // connection without the body's end, and the origin's. Under Miniflare, its local
        // server ends an errored body as if whole and workerd keeps the origin's socket, so
        // there only the cut-off itself and the cache below can be held.
        if (!name.startsWith("Worker")) {
          expect(first.ended).toBe(false)
          for (let waited = 0; !originClosed && waited < 5000; waited += 50)
            await new Promise((resolve) => setTimeout(resolve, 50))
          expect(originClosed, "the origin's connection was closed").toBe(true)
        }
        await cutOff()
        expect(requests, "the second request went to the origin again: nothing was stored").toBe(2)
      })

      it("given an origin slower than EDGE_UPSTREAM_TIMEOUT_MS, then 504 gateway_timeout", async () => {
        const slug = await given("timeout")
        expectEnvelope(await get(hostOf(slug), "/slow"), 504, "gateway_timeout")
      })

      it("given origins at private, loopback or local addresses, then 502 bad_gateway and no connection", async () => {
        for (const origin of [
          "https://127.0.0.1:1",
          "https://10.0.0.1",
          "https://[::1]:1",
          "https://localhost:1",
          "https://169.254.169.254"
        ]) {
          const slug = await given("private", () => ({ websiteOrigin: origin }))
          expectEnvelope(await get(hostOf(slug), "/"), 502, "bad_gateway")
        }
      })
    })

    describe("proofs and logs", () => {
      it("given x-cachely-nonce, then x-cachely-proof is the hex HMAC-SHA256 of {nonce}|{host} under EDGE_SEAL_KEY", async () => {
        const slug = await given("proof")
        const nonce = randomBytes(8).toString("hex")
        const reply = await get(hostOf(slug), "/proof", { "x-cachely-nonce": nonce })
        const expected = createHmac("sha256", sealKey)
          .update(`${nonce}|${hostOf(slug)}`)
          .digest("hex")
        expect(reply.headers["x-cachely-proof"]).toBe(expected)
      })

      it("given requests served, then their records reach the ingestion endpoint, gzip NDJSON batches with an id and the edge token", async () => {
        const slug = await given("logs")
        const miss = await get(hostOf(slug), "/logged?q=secret-query", { "user-agent": "conformance/1.0" })
        const hit = await get(hostOf(slug), "/logged?q=secret-query", { "user-agent": "conformance/1.0" })
        const deadline = Date.now() + 5000
        const ours = () => ingest.records().filter((record) => record.slug === slug)
        while (ours().length < 2 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100))
        const records = ours()
        expect(records).toHaveLength(2)
        const byId = new Map(records.map((record) => [record.id, record]))
        expect(byId.get(miss.headers["x-cachely-request-id"])).toMatchObject({
          tenantId: `tenant_${slug}`,
          slug,
          host: hostOf(slug),
          method: "GET",
          path: "/logged",
          status: 200,
          cache: "MISS",
          surface: "site",
          bytesOut: miss.body.length,
          bytesFromOrigin: miss.body.length,
          userAgent: "conformance/1.0"
        })
        expect(String(byId.get(miss.headers["x-cachely-request-id"])?.country ?? "null")).toMatch(
          /^(null|[A-Z]{2})$/
        )
        expect(byId.get(hit.headers["x-cachely-request-id"])).toMatchObject({
          cache: "HIT",
          originMs: null,
          bytesFromOrigin: 0
        })
        const batch = ingest.batches.find((candidate) =>
          candidate.records.some((record) => record.slug === slug)
        )
        expect(batch?.headers.authorization).toBe(`Bearer ${edgeToken}`)
        expect(batch?.headers["content-encoding"]).toBe("gzip")
        expect(batch?.headers["content-type"]).toBe("application/x-ndjson")
        expect(batch?.headers["x-batch-id"]).toEqual(expect.any(String))
        expect(JSON.stringify(ingest.batches)).not.toContain(apiToken)
      })
    })
  })
