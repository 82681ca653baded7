import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { generateKeyPair, SignJWT } from "jose"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { loadOrCreateDevKeys } from "../../adapters/auth/devKeys.ts"
import { makeTenantryClient } from "../../adapters/http/client.ts"
import { Kv } from "../../application/ports/Kv.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { request } from "../support/http.ts"
import { redisUrl } from "../support/services.ts"
import { masterAdminId, startTestServer, type TestServer } from "../support/testServer.ts"

let counter = 0
const uniqueSlug = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

const raw = (server: TestServer, path: string, init: RequestInit) => fetch(`${server.baseUrl}${path}`, init)

for (const target of databaseTargets) {
  describe(`Tenant lifecycle over HTTP (${target.name})`, () => {
    let server: TestServer
    // Each test has its own owner, so the free plan's limit (3 tenants) is per test.
    let owner: string
    let ownerId: string

    beforeAll(async () => {
      // PGlite runs with the file KV; PostgreSQL with Redis when there is one (as in CI).
      server = await startTestServer(
        target,
        target.name === "postgres" && redisUrl !== undefined ? { REDIS_URL: redisUrl } : {}
      )
    })
    beforeEach(async () => {
      ownerId = `user_owner_${target.name}_${counter++}`
      owner = await server.token(ownerId, { email: "owner@example.com" })
    })
    afterAll(async () => {
      await server?.close()
    })

    const create = async (token = owner, extra: Record<string, unknown> = {}) => {
      const slug = uniqueSlug("acme")
      const created = await request(server, "POST", "/api/tenants", {
        token,
        body: { slug, cms: "contentful", spaceId: "abc123", ...extra }
      })
      expect(created.status).toBe(201)
      return slug
    }

    const kvSnapshot = (slug: string) =>
      server.run(
        Effect.gen(function* () {
          const kv = yield* Kv
          const value = yield* kv.get(`proxy:${slug}`)
          return value === undefined ? undefined : JSON.parse(value)
        })
      )
    const eventually = async <A>(read: () => Promise<A>, done: (value: A) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const value = await read()
        if (done(value)) return value
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return read()
    }

    it("given a signed-in user, when they create, list, read, update and delete a tenant with the typed client, then every answer has the contract's shape", async () => {
      const slug = uniqueSlug("typed")
      await Effect.runPromise(
        Effect.gen(function* () {
          const client = yield* makeTenantryClient({ baseUrl: server.baseUrl, token: owner })
          const created = yield* client.tenants.createTenant({
            payload: {
              slug: slug as Slug,
              cms: "contentful",
              spaceId: "abc123",
              websiteDomain: "www.acme.com",
              siteProxy: true
            }
          })
          expect(created).toEqual({
            ok: true,
            key: `proxy:${slug}`,
            proxyBase: `https://${slug}.cachely.localhost`
          })
          const list = yield* client.tenants.listTenants()
          expect(list.total).toBe(list.tenants.length)
          expect(list.tenants.find((t) => t.slug === slug)).toMatchObject({
            key: `proxy:${slug}`,
            role: "owner"
          })
          const read = yield* client.tenant.getTenant({ params: { slug } })
          expect(read.key).toBe(`proxy:${slug}`)
          expect(read.value).toMatchObject({
            slug,
            cms: "contentful",
            spaceId: "abc123",
            websiteDomain: "www.acme.com",
            siteProxy: true,
            apiCacheVersion: 1,
            assetCacheVersion: 1,
            htmlCacheVersion: 1,
            hasApiToken: false,
            publicOrigin: `https://${slug}.cachely.localhost`
          })
          const updated = yield* client.tenant.updateTenant({
            params: { slug },
            payload: { cacheTTL: 900, websiteDomain: "shop.acme.com" }
          })
          expect(updated.value).toMatchObject({
            cacheTTL: 900,
            websiteDomain: "shop.acme.com",
            spaceId: "abc123"
          })
          const deleted = yield* client.tenant.deleteTenant({ params: { slug } })
          expect(deleted).toEqual({ ok: true, key: `proxy:${slug}` })
        })
      )
      expect((await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).status).toBe(404)
      // a deleted tenant's slug may be taken again
      const again = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug, cms: "generic", apiOrigin: "https://api.example.com" }
      })
      expect(again.status).toBe(201)
      await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })
    })

    it("slug availability: free → true, taken or reserved → false, malformed → 400 validation_failed", async () => {
      const slug = await create()
      const ask = (s: string) =>
        request(server, "GET", `/api/tenants/slug-availability?slug=${encodeURIComponent(s)}`, {
          token: owner
        })
      expect((await ask(uniqueSlug("free"))).body.available).toBe(true)
      expect((await ask(slug)).body).toEqual({ slug, available: false })
      expect((await ask("www")).body).toEqual({ slug: "www", available: false })
      const bad = await ask("Not A Slug!")
      expect(bad.status).toBe(400)
      expect(bad.body.error).toBe("validation_failed")
      expect((await request(server, "GET", "/api/tenants/slug-availability?slug=abc")).status).toBe(401)
    })

    it("create: slug taken → 409 slug_taken; bad body → 400 with per-field errors; beyond maxTenants → 403 plan_limit", async () => {
      const slug = await create()
      const taken = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug, cms: "contentful", spaceId: "x" }
      })
      expect(taken.status).toBe(409)
      expect(taken.body).toMatchObject({ error: "slug_taken" })
      const invalid = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug: "A!", cms: "contentful" }
      })
      expect(invalid.status).toBe(400)
      expect(invalid.body.error).toBe("validation_failed")
      expect(Object.keys(invalid.body.errors)).toEqual(expect.arrayContaining(["slug", "spaceId"]))
      const url = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: {
          slug: uniqueSlug("url"),
          cms: "contentful",
          spaceId: "x",
          websiteDomain: "https://www.acme.com"
        }
      })
      expect(url.status).toBe(400)
      expect(url.body.errors.websiteDomain).toBeDefined()

      const planUser = await server.token(`user_plan_${target.name}`)
      for (let i = 0; i < 3; i++) await create(planUser)
      const fourth = await request(server, "POST", "/api/tenants", {
        token: planUser,
        body: { slug: uniqueSlug("fourth"), cms: "contentful", spaceId: "x" }
      })
      expect(fourth.status).toBe(403)
      expect(fourth.body).toMatchObject({ error: "plan_limit", maxTenants: 3 })
    })

    it("update: slug change → 400, unknown field → 400, and a 4xx changes nothing", async () => {
      const slug = await create()
      const before = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      for (const body of [
        { slug: "other-slug" },
        { nope: 1 },
        { cacheTTL: -1 },
        { websiteDomain: "http://x" },
        { cms: "prismic" }
      ]) {
        const reply = await request(server, "PUT", `/api/tenants/${slug}`, { token: owner, body })
        expect(reply.status, JSON.stringify(body)).toBe(400)
        expect(reply.body.error).toBe("validation_failed")
      }
      const after = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(after.body).toEqual(before.body)
    })

    it("refresh-cache: each type bumps exactly its versions by one; a bad type → 400", async () => {
      const slug = await create()
      const bump = (type: string) =>
        request(server, "POST", `/api/tenants/${slug}/refresh-cache`, { token: owner, body: { type } })
      expect((await bump("api")).body).toEqual({
        ok: true,
        versions: { apiCacheVersion: 2, assetCacheVersion: 1, htmlCacheVersion: 1 }
      })
      expect((await bump("assets")).body.versions).toEqual({
        apiCacheVersion: 2,
        assetCacheVersion: 2,
        htmlCacheVersion: 1
      })
      expect((await bump("html")).body.versions).toEqual({
        apiCacheVersion: 2,
        assetCacheVersion: 2,
        htmlCacheVersion: 2
      })
      expect((await bump("all")).body.versions).toEqual({
        apiCacheVersion: 3,
        assetCacheVersion: 3,
        htmlCacheVersion: 3
      })
      const bad = await bump("everything")
      expect(bad.status).toBe(400)
    })

    it("given 25 concurrent refresh-cache calls, then apiCacheVersion goes up by exactly 25 and the KV snapshot ends there", async () => {
      const slug = await create()
      const replies = await Promise.all(
        Array.from({ length: 25 }, () =>
          request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
            token: owner,
            body: { type: "api" }
          })
        )
      )
      expect(replies.map((r) => r.status)).toEqual(Array(25).fill(200))
      expect(new Set(replies.map((r) => r.body.versions.apiCacheVersion)).size).toBe(25)
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value.apiCacheVersion).toBe(26)
      const snapshot = await eventually(
        () => kvSnapshot(slug),
        (s) => s?.cache?.apiCacheVersion === 26
      )
      expect(snapshot.cache.apiCacheVersion).toBe(26)
    })

    it("given 10 concurrent creates of one slug by different users, then exactly one 201 and the rest 409 slug_taken", async () => {
      const slug = uniqueSlug("race")
      const tokens = await Promise.all(
        Array.from({ length: 10 }, (_, i) => server.token(`user_race_${target.name}_${i}`))
      )
      const replies = await Promise.all(
        tokens.map((token) =>
          request(server, "POST", "/api/tenants", { token, body: { slug, cms: "contentful", spaceId: "x" } })
        )
      )
      expect(replies.filter((r) => r.status === 201)).toHaveLength(1)
      expect(replies.filter((r) => r.status === 409 && r.body.error === "slug_taken")).toHaveLength(9)
    })

    it("api-config and api-token: saved, reflected in value, the token written only encrypted and never returned anywhere", async () => {
      const token = `tok_${Math.random().toString(36).slice(2)}_SECRET`
      const slug = await create()
      const missingName = await request(server, "PUT", `/api/tenants/${slug}/api-config`, {
        token: owner,
        body: { apiOrigin: "https://cdn.contentful.com", apiAuthMode: "header" }
      })
      expect(missingName.status).toBe(400)
      expect(missingName.body.errors.apiAuthHeaderName).toBeDefined()
      const http = await request(server, "PUT", `/api/tenants/${slug}/api-config`, {
        token: owner,
        body: { apiOrigin: "http://cdn.contentful.com", apiAuthMode: "none" }
      })
      expect(http.status).toBe(400)
      const saved = await request(server, "PUT", `/api/tenants/${slug}/api-config`, {
        token: owner,
        body: { apiOrigin: "https://cdn.contentful.com", apiAuthMode: "bearer", apiCacheTTL: 120 }
      })
      expect(saved.body).toEqual({
        apiOrigin: "https://cdn.contentful.com",
        apiAuthMode: "bearer",
        apiCacheTTL: 120,
        cacheEnabled: true,
        previewEnabled: false
      })
      expect(
        (await request(server, "PUT", `/api/tenants/${slug}/api-token`, { token: owner, body: {} })).status
      ).toBe(400)
      const stored = await request(server, "PUT", `/api/tenants/${slug}/api-token`, {
        token: owner,
        body: { token }
      })
      expect(stored.status).toBe(200)
      expect(stored.body).toEqual({ ok: true, updatedAt: expect.any(String) })

      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value).toMatchObject({ hasApiToken: true, apiConfig: { apiAuthMode: "bearer" } })
      const edge = await request(server, "POST", `/api/tenants/${slug}/edge-config`, { token: owner })
      const everything = [
        JSON.stringify(stored.body),
        JSON.stringify(read.body),
        JSON.stringify(edge.body),
        JSON.stringify((await request(server, "GET", "/api/tenants", { token: owner })).body),
        JSON.stringify(
          (await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })).body
        )
      ]
      for (const body of everything) expect(body).not.toContain(token)
      const kvDir = join(server.dataDir, "kv")
      for (const file of await readdir(kvDir).catch(() => [])) {
        expect(await readFile(join(kvDir, file), "utf8")).not.toContain(token)
      }
      expect(JSON.stringify(await kvSnapshot(slug))).toContain('"hasApiToken":true')
    })

    it("edge-config: rewrites and reads back proxy:{slug} with its derived fields, appending nothing", async () => {
      const slug = await create(owner, { siteProxy: true })
      const audit = () => request(server, "GET", `/api/tenants/${slug}/audit-events`, { token: owner })
      const before = (await audit()).body.events.length
      const synced = await request(server, "POST", `/api/tenants/${slug}/edge-config`, { token: owner })
      expect(synced.status).toBe(200)
      expect(synced.body).toMatchObject({
        ok: true,
        summary: {
          publicOrigin: `https://${slug}.cachely.localhost`,
          gate: { apiProxy: "closed_unconfigured", siteProxy: "open" }
        },
        kv: { exists: true, publicOrigin: `https://${slug}.cachely.localhost` }
      })
      expect((await audit()).body.events.length).toBe(before)
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value.apiCacheVersion).toBe(1)
    })

    it("the edge projector keeps proxy:{slug} current after writes and removes it with the tenant", async () => {
      const slug = await create()
      await request(server, "PUT", `/api/tenants/${slug}`, { token: owner, body: { cacheTTL: 1234 } })
      const snapshot = await eventually(
        () => kvSnapshot(slug),
        (s) => s?.cache?.ttl === 1234
      )
      expect(snapshot).toMatchObject({ slug, cache: { ttl: 1234 } })
      await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })
      expect(
        await eventually(
          () => kvSnapshot(slug),
          (s) => s === undefined
        )
      ).toBeUndefined()
    })

    it("audit-events: newest first with actor and summary, keyset pages by limit and beforeId, and bad queries → 400", async () => {
      const slug = await create()
      for (const type of ["api", "assets", "html"]) {
        await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, { token: owner, body: { type } })
      }
      const first = await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=2`, {
        token: owner
      })
      expect(first.body.hasMore).toBe(true)
      expect(first.body.events.map((e: { type: string }) => e.type)).toEqual([
        "CacheVersionsBumped",
        "CacheVersionsBumped"
      ])
      expect(first.body.events[0]).toMatchObject({
        actor: { type: "user", id: ownerId },
        summary: expect.stringContaining("HTML")
      })
      expect(first.body.events[0].id).toBeGreaterThan(first.body.events[1].id)
      const rest = await request(
        server,
        "GET",
        `/api/tenants/${slug}/audit-events?limit=200&beforeId=${first.body.events[1].id}`,
        {
          token: owner
        }
      )
      expect(rest.body.hasMore).toBe(false)
      expect(rest.body.events.map((e: { type: string }) => e.type)).toEqual([
        "CacheVersionsBumped",
        "TenantCreated"
      ])
      for (const query of ["limit=0", "limit=201", "limit=abc", "beforeId=-1"]) {
        const bad = await request(server, "GET", `/api/tenants/${slug}/audit-events?${query}`, {
          token: owner
        })
        expect(bad.status, query).toBe(400)
        expect(bad.body.error).toBe("validation_failed")
      }
    })

    it("sessions: none → 401, garbage → 401, another key → 401, expired → 401, __session cookie works; non-member → 403, unknown → 404, master admin passes", async () => {
      const slug = await create()
      const path = `/api/tenants/${slug}`
      const noToken = await request(server, "GET", path)
      expect(noToken.status).toBe(401)
      expect(noToken.body).toEqual({ error: "unauthorized", message: expect.any(String) })
      expect((await request(server, "GET", path, { token: "garbage" })).status).toBe(401)
      const { privateKey } = await generateKeyPair("ES256")
      const foreign = await new SignJWT({ sub: ownerId })
        .setProtectedHeader({ alg: "ES256" })
        .setExpirationTime("1h")
        .sign(privateKey)
      expect((await request(server, "GET", path, { token: foreign })).status).toBe(401)
      // Signed by the server's own key, so only the expiry is wrong.
      const keys = await Effect.runPromise(loadOrCreateDevKeys(server.dataDir))
      const now = Math.floor(Date.now() / 1000)
      const expired = await new SignJWT({ sub: ownerId })
        .setProtectedHeader({ alg: "ES256", kid: keys.kid })
        .setIssuedAt(now - 7200)
        .setExpirationTime(now - 3600)
        .sign(keys.privateKey)
      expect((await request(server, "GET", path, { token: expired })).status).toBe(401)
      const cookie = await raw(server, path, { headers: { cookie: `__session=${owner}` } })
      expect(cookie.status).toBe(200)
      const stranger = await server.token("user_stranger")
      const forbidden = await request(server, "GET", path, { token: stranger })
      expect(forbidden.status).toBe(403)
      expect(forbidden.body.error).toBe("forbidden")
      expect((await request(server, "GET", "/api/tenants/no-such-tenant", { token: owner })).status).toBe(404)
      const master = await server.token(masterAdminId)
      expect((await request(server, "GET", path, { token: master })).status).toBe(200)
      expect(
        (await request(server, "POST", `${path}/refresh-cache`, { token: master, body: { type: "html" } }))
          .status
      ).toBe(200)
    })

    it("the envelope: X-Request-ID on every answer (sane ones echoed), malformed JSON → 400, wrong content type → 415, unknown route → 404, oversized → 413, all JSON", async () => {
      const slug = await create()
      const echoed = await raw(server, "/healthz", { headers: { "x-request-id": "trace-123" } })
      expect(echoed.headers.get("x-request-id")).toBe("trace-123")
      const insane = await raw(server, "/healthz", { headers: { "x-request-id": "x".repeat(300) } })
      expect(insane.headers.get("x-request-id")).not.toBe("x".repeat(300))
      expect(insane.headers.get("x-request-id")).toMatch(/^req_/)
      const auth = { authorization: `Bearer ${owner}` }
      const cases: Array<[string, RequestInit, number, string]> = [
        [
          "malformed JSON",
          { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{nope" },
          400,
          "validation_failed"
        ],
        [
          "text/plain",
          { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: '{"type":"api"}' },
          415,
          "unsupported_media_type"
        ],
        [
          "a form",
          {
            method: "POST",
            headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
            body: "type=api"
          },
          415,
          "unsupported_media_type"
        ],
        [
          "over 1 MiB",
          {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body: `{"type":"${"a".repeat(1024 * 1024)}"}`
          },
          413,
          "payload_too_large"
        ]
      ]
      for (const [name, init, status, code] of cases) {
        const reply = await raw(server, `/api/tenants/${slug}/refresh-cache`, init)
        expect(reply.status, name).toBe(status)
        expect(reply.headers.get("content-type"), name).toContain("json")
        expect(reply.headers.get("x-request-id"), name).toBeTruthy()
        expect(((await reply.json()) as { error: string }).error, name).toBe(code)
      }
      const unknown = await raw(server, "/api/no/such/route", {})
      expect(unknown.status).toBe(404)
      expect(((await unknown.json()) as { error: string }).error).toBe("not_found")
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value.apiCacheVersion).toBe(1)
    })

    it("health: /healthz answers; /readyz says the database answers", async () => {
      expect((await request(server, "GET", "/healthz")).body).toEqual({ ok: true })
      expect((await request(server, "GET", "/readyz")).body).toEqual({ ok: true, database: "ok" })
    })
  })
}
