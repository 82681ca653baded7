import { createHmac, randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Kv } from "../../application/ports/Kv.ts"
import { startNodeEdge } from "../../edge/node/host.ts"
import { edgeHostSettingsFromEnv } from "../../edge/node/settings.ts"
import { databaseTargets } from "../support/databases.ts"
import { startDnsServer, type TestDnsServer } from "../support/dnsServer.ts"
import { request } from "../support/http.ts"
import { type LocalSite, startLocalSite } from "../support/localSites.ts"
import { redisUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * POST /api/tenants/{slug}/cachely-check end to end: a real server whose probes reach local
 * servers through ORIGIN_OVERRIDES (the probe keeps its Host). The implemented states meet the
 * reference edge (its Node host, reading the server's own KV, under the same EDGE_SEAL_KEY),
 * in front of a customer's origin. `imitation` answers like an edge whose configuration is
 * stale (an old x-cachely-version, a valid proof); `direct` is a customer's own server (a
 * generic `x-cache` only); `faker` copies the edge's headers without being able to prove them.
 */

const sealKey = randomBytes(32)
const proof = (nonce: string, host: string) =>
  createHmac("sha256", sealKey).update(`${nonce}|${host}`).digest("hex")

let edge: LocalSite
let origin: LocalSite
let dns: TestDnsServer
let direct: LocalSite
let faker: LocalSite
/** The version the imitated edge reports, by Host (default "1", a new tenant's htmlCacheVersion). */
const servedVersion = new Map<string, string>()
const seen = new Set<string>()

const page = "<!doctype html><html><body><h1>Hello</h1></body></html>"

beforeAll(async () => {
  dns = await startDnsServer()
  origin = await startLocalSite((_request, response) => {
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "public, max-age=60"
    })
    response.end(page)
  })
  edge = await startLocalSite((request, response) => {
    const host = request.headers.host ?? ""
    const key = `${host}${request.url}`
    const hit = seen.has(key)
    seen.add(key)
    const nonce = request.headers["x-cachely-nonce"]
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "x-cachely-cache": hit ? "HIT" : "MISS",
      "x-cachely-surface": "site",
      "x-cachely-tenant": host.split(".")[0] ?? "",
      "x-cachely-version": servedVersion.get(host) ?? "1",
      "x-cachely-request-id": randomBytes(8).toString("hex"),
      "cache-status": hit ? "Cachely; hit" : "Cachely; fwd=miss; stored",
      ...(typeof nonce === "string" ? { "x-cachely-proof": proof(nonce, host) } : {})
    })
    response.end(page)
  })
  direct = await startLocalSite((_request, response) => {
    response.writeHead(200, { "content-type": "text/html", "x-cache": "HIT", server: "nginx" })
    response.end(page)
  })
  faker = await startLocalSite((request, response) => {
    response.writeHead(200, {
      "content-type": "text/html",
      "x-cachely-cache": "HIT",
      "x-cachely-surface": "site",
      "x-cachely-tenant": "fake-site",
      "x-cachely-version": "1",
      "cache-status": "Cachely; hit",
      ...(request.headers.host === "www.forged-site.test" ? { "x-cachely-proof": "0".repeat(64) } : {})
    })
    response.end(page)
  })
})

afterAll(async () => {
  await dns?.close()
  await origin?.close()
  await edge?.close()
  await direct?.close()
  await faker?.close()
})

/** A port nothing listens on yet, for the reference edge the server's overrides must name before it starts. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer()
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })

const overrides = (referenceEdge: string) => ({
  "https://warm-site.cachely.localhost": referenceEdge,
  "https://www.prod-site.test": referenceEdge,
  "https://stale-site.cachely.localhost": edge.base,
  "https://nonce-site.cachely.localhost": edge.base,
  "https://www.direct-site.test": direct.base,
  "https://www.fake-site.test": faker.base,
  "https://www.forged-site.test": faker.base
})

for (const target of databaseTargets) {
  describe(`cachely-check (${target.name})`, () => {
    let server: TestServer
    let owner: string
    let referenceEdge: { readonly url: string; readonly close: () => Promise<void> } | undefined

    const createTenant = async (slug: string, siteProxy: boolean) => {
      const created = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug, cms: "contentful", spaceId: "abc123", siteProxy, websiteDomain: `origin.${slug}.test` }
      })
      expect(created.status).toBe(201)
    }

    /** Waits until the edge projector has written `key` with `fragment` in it. */
    const projected = async (key: string, fragment = "") => {
      for (let tries = 0; tries < 200; tries++) {
        const value = await server.run(Effect.flatMap(Kv, (kv) => kv.get(key)))
        if (value?.includes(fragment)) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(`${key} was never written with ${fragment}`)
    }

    /** A custom domain made active the way a customer does it: added, its records in DNS, verified. */
    const activeDomain = async (slug: string, hostname: string) => {
      const added = await request(server, "POST", `/api/tenants/${slug}/domains`, {
        token: owner,
        body: { hostname }
      })
      expect(added.status).toBe(201)
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [added.body.verification.ownership.value])
      dns.set(hostname, "CNAME", [`${slug}.cachely.localhost`])
      const verified = await request(server, "POST", `/api/tenants/${slug}/domains/verify`, {
        token: owner,
        body: { hostname }
      })
      expect(verified.body.domain.status).toBe("active")
    }

    const check = (slug: string) =>
      request(server, "POST", `/api/tenants/${slug}/cachely-check`, { token: owner })
    const item = (
      body: { items: ReadonlyArray<{ id: string; state: string; detail: string }> },
      id: string
    ) => body.items.find((candidate) => candidate.id === id)

    beforeAll(async () => {
      // Each target's tenants meet a cold edge cache.
      seen.clear()
      const edgePort = await freePort()
      const edgeToken = `edge_${randomBytes(16).toString("hex")}`
      server = await startTestServer(target, {
        ORIGIN_OVERRIDES: JSON.stringify(overrides(`http://127.0.0.1:${edgePort}`)),
        EDGE_TOKENS: edgeToken,
        EDGE_SEAL_KEY: sealKey.toString("base64"),
        DNS_SERVERS: dns.address,
        CHECK_RATE_LIMIT: "3/0.01",
        ...(target.name === "postgres" && redisUrl !== undefined ? { REDIS_URL: redisUrl } : {})
      })
      owner = await server.token(`user_cachely_${target.name}`)
      // The reference edge, reading the server's KV; the tenants' origins are the local `origin`.
      const started = await startNodeEdge({
        settings: edgeHostSettingsFromEnv({
          EDGE_HOST: "127.0.0.1",
          EDGE_PORT: String(edgePort),
          EDGE_CACHE_MB: "16",
          TENANTRY_URL: server.baseUrl,
          ORIGIN_OVERRIDES: JSON.stringify({
            "https://origin.warm-site.test": origin.base,
            "https://origin.prod-site.test": origin.base
          })
        }),
        snapshots: {
          get: (key) =>
            server.run(
              Effect.map(
                Effect.flatMap(Kv, (kv) => kv.get(key)),
                (v) => v ?? null
              )
            )
        },
        sealKey: new Uint8Array(sealKey),
        token: edgeToken
      })
      referenceEdge = started
    })
    afterAll(async () => {
      await referenceEdge?.close()
      await server?.close()
    })

    const ownerOf = async (label: string) => {
      owner = await server.token(`user_cachely_${target.name}_${label}`)
    }

    it("given the site proxy off and no custom domain, then not_enabled with no probe", async () => {
      await ownerOf("off")
      await createTenant("off-site", false)
      const { status, body } = await check("off-site")
      expect(status).toBe(200)
      expect(body).toMatchObject({ state: "not_enabled", probeUrl: null, surfaceLabel: null, probes: [] })
      expect(item(body, "website_surface")?.state).toBe("info")
      expect(item(body, "api_proxy")?.detail).toMatch(/live test/)
    })

    it("given the reference edge in front of the preview host and warm, then implemented with both probes proven", async () => {
      await ownerOf("warm")
      await createTenant("warm-site", true)
      await projected("proxy:warm-site", '"siteProxy":true')
      const before = origin.requests()
      const { body } = await check("warm-site")
      expect(body.state).toBe("implemented")
      expect(body.surfaceLabel).toBe("preview")
      expect(body.probeUrl).toBe("https://warm-site.cachely.localhost/")
      expect(body.probes).toHaveLength(2)
      expect(body.probes[0]).toMatchObject({
        url: "https://warm-site.cachely.localhost/",
        status: 200,
        error: null
      })
      expect(body.probes[0].headers).toMatchObject({
        "x-cachely-cache": "MISS",
        "x-cachely-surface": "site",
        "x-cachely-tenant": "warm-site",
        "x-cachely-version": "1"
      })
      expect(body.probes[1].headers["x-cachely-cache"]).toBe("HIT")
      expect(body.probes[1].headers["cache-status"]).toMatch(/^Cachely; hit/)
      expect(body.probes[1].headers["x-cachely-proof"]).toMatch(/^[0-9a-f]{64}$/)
      for (const id of ["website_surface", "edge_headers", "edge_proof", "cache", "version"]) {
        expect(item(body, id)?.state, id).toBe("pass")
      }
      // Two plain sequential GETs through the edge: the first reached the origin, the second was a HIT.
      expect(origin.requests() - before).toBe(1)
      expect(origin.hosts().at(-1)).toBe("origin.warm-site.test")
    })

    it("given a probe, then each carries its own nonce and keeps the surface's Host", async () => {
      await ownerOf("nonces")
      await createTenant("nonce-site", true)
      await check("nonce-site")
      const sent = edge.requestHeaders().slice(-2)
      expect(sent.map((headers) => headers.host)).toEqual([
        "nonce-site.cachely.localhost",
        "nonce-site.cachely.localhost"
      ])
      expect(sent[0]!["x-cachely-nonce"]).toMatch(/^nonce_/)
      expect(sent[0]!["x-cachely-nonce"]).not.toBe(sent[1]!["x-cachely-nonce"])
    })

    it("given an active custom domain served by the reference edge, then the production surface is probed", async () => {
      await ownerOf("prod")
      await createTenant("prod-site", true)
      await activeDomain("prod-site", "www.prod-site.test")
      await projected("host:www.prod-site.test", "prod-site")
      const { body } = await check("prod-site")
      expect(body).toMatchObject({
        state: "implemented",
        surfaceLabel: "production",
        probeUrl: "https://www.prod-site.test/"
      })
      expect(item(body, "custom_domain")).toMatchObject({ state: "pass" })
    })

    it("given a site that answers directly without the edge, then not_detected (a generic x-cache proves nothing)", async () => {
      await ownerOf("direct")
      await createTenant("direct-site", true)
      await activeDomain("direct-site", "www.direct-site.test")
      const { body } = await check("direct-site")
      expect(body).toMatchObject({ state: "not_detected", surfaceLabel: "production" })
      expect(item(body, "edge_headers")?.state).toBe("fail")
      expect(item(body, "other_cdn")?.state).toBe("warn")
      expect(body.probes.every((probe: { headers: object }) => Object.keys(probe.headers).length === 0)).toBe(
        true
      )
    })

    it("given a site that fakes x-cachely-* without the proof, then active_needs_attention saying the proof is missing", async () => {
      await ownerOf("fake")
      await createTenant("fake-site", true)
      await activeDomain("fake-site", "www.fake-site.test")
      const { body } = await check("fake-site")
      expect(body.state).toBe("active_needs_attention")
      expect(item(body, "edge_proof")).toMatchObject({ state: "fail" })
      expect(item(body, "edge_proof")?.detail).toMatch(/without the edge's proof/)
    })

    it("given a site whose proof is wrong, then the proof item says so", async () => {
      await ownerOf("forged")
      await createTenant("forged-site", true)
      await activeDomain("forged-site", "www.forged-site.test")
      const { body } = await check("forged-site")
      expect(body.state).toBe("active_needs_attention")
      expect(item(body, "edge_proof")?.detail).toMatch(/wrong/)
    })

    it("given an edge serving an older version than the stored one, then active_needs_attention", async () => {
      await ownerOf("stale")
      await createTenant("stale-site", true)
      servedVersion.set("stale-site.cachely.localhost", "0")
      const { body } = await check("stale-site")
      expect(body.state).toBe("active_needs_attention")
      expect(item(body, "version")).toMatchObject({ state: "warn" })
    })

    it("given a check, then it appends nothing to the tenant's history", async () => {
      await ownerOf("warm2")
      await createTenant("quiet-site", false)
      const before = await request(server, "GET", "/api/tenants/quiet-site/audit-events", { token: owner })
      await check("quiet-site")
      const after = await request(server, "GET", "/api/tenants/quiet-site/audit-events", { token: owner })
      expect(after.body.events).toEqual(before.body.events)
    })

    it("given more checks than the tenant's rate, then 429 rate_limited with Retry-After", async () => {
      await ownerOf("limit")
      await createTenant("limit-site", false)
      for (let i = 0; i < 3; i++) expect((await check("limit-site")).status).toBe(200)
      const response = await fetch(`${server.baseUrl}/api/tenants/limit-site/cachely-check`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner}` }
      })
      expect(response.status).toBe(429)
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0)
      const body = await response.json()
      expect(body).toMatchObject({ error: "rate_limited" })
      // The website check shares the tenant's bucket.
      const other = await request(server, "POST", "/api/tenants/limit-site/website-implementation-check", {
        token: owner,
        body: { url: "https://www.example.com/" }
      })
      expect(other.status).toBe(429)
    })
  })
}
