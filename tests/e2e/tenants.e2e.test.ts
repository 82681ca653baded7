import { readdir, readFile } from "node:fs/promises"
import { connect } from "node:net"
import { join } from "node:path"
import { Effect } from "effect"
import { generateKeyPair, SignJWT } from "jose"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { loadOrCreateDevKeys } from "../../adapters/auth/devKeys.ts"
import { makeTenantryClient } from "../../adapters/http/client.ts"
import { Config } from "../../application/config.ts"
import { Kv } from "../../application/ports/Kv.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { rawExchange, uniqueSlug } from "../support/http.ts"
import { redisUrl } from "../support/services.ts"
import { masterAdminId, startTestServer, type TestServer } from "../support/testServer.ts"

let counter = 0

interface Reply {
  readonly status: number
  readonly headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
  readonly body: any
  readonly text: string
}

/** Every answer in this file passes through here: never a 5xx, always an X-Request-ID, JSON when it has a body. */
const checked = async (label: string, response: Response): Promise<Reply> => {
  const text = await response.text()
  expect(response.status, `${label} → ${response.status} ${text.slice(0, 300)}`).toBeLessThan(500)
  expect(response.headers.get("x-request-id"), `${label}: X-Request-ID`).toBeTruthy()
  if (text !== "")
    expect(response.headers.get("content-type") ?? "", `${label}: content type`).toContain("json")
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
    text
  }
}

/** A JSON request as `token`'s user (or anonymously). */
const request = async (
  server: TestServer,
  method: string,
  path: string,
  options: {
    readonly token?: string | undefined
    readonly body?: unknown
    readonly headers?: Record<string, string>
  } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  return checked(`${method} ${path}`, response)
}

/** Raw fetch, for bodies, headers and cookies the JSON helper cannot send. */
const raw = async (server: TestServer, path: string, init: RequestInit) =>
  checked(`${init.method ?? "GET"} ${path}`, await fetch(`${server.baseUrl}${path}`, init))

/** Every file under a directory, recursively (the file KV, or nothing when the KV is Redis). */
const filesUnder = async (directory: string): Promise<Array<string>> => {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => [])
  const nested = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? filesUnder(join(directory, entry.name))
        : Promise.resolve([join(directory, entry.name)])
    )
  )
  return nested.flat()
}

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
          const read = yield* client.tenant.getTenant({ params: { slug }, query: {} })
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
      for (const missing of [{}, { token: "" }, { token: " \t\n" }]) {
        const refused = await request(server, "PUT", `/api/tenants/${slug}/api-token`, {
          token: owner,
          body: missing
        })
        expect(refused.status, JSON.stringify(missing)).toBe(400)
        expect(refused.body.error).toBe("validation_failed")
      }
      expect(
        (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value.hasApiToken
      ).toBe(false)
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
      // api-config answers after the token is stored, too
      const configAgain = await request(server, "PUT", `/api/tenants/${slug}/api-config`, {
        token: owner,
        body: { apiOrigin: "https://cdn.contentful.com", apiAuthMode: "bearer", apiCacheTTL: 120 }
      })
      expect(configAgain.status).toBe(200)
      expect(configAgain.text).not.toContain(token)
      const snapshot = await eventually(
        () => kvSnapshot(slug),
        (s) => s?.api?.hasApiToken === true && s?.gate?.apiProxy === "open"
      )
      expect(snapshot).toMatchObject({ api: { hasApiToken: true }, gate: { apiProxy: "open" } })
      expect(JSON.stringify(snapshot)).not.toContain(token)
      const kvFiles = await filesUnder(join(server.dataDir, "kv"))
      if (redisUrl === undefined || target.name === "pglite") {
        // the file KV: the snapshot is there, and no file holds the token
        expect(kvFiles.length).toBeGreaterThan(0)
      }
      for (const file of kvFiles) {
        // a write's temp file may be renamed away between listing and reading
        const content = await readFile(file, "utf8").catch(() => "")
        expect(content, file).not.toContain(token)
      }
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

    it("the envelope: X-Request-ID on every answer (sane ones echoed), malformed JSON → 400, wrong content type → 400, unknown route → 404, oversized → 413, all JSON", async () => {
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
          400,
          "validation_failed"
        ],
        [
          "a form",
          {
            method: "POST",
            headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
            body: "type=api"
          },
          400,
          "validation_failed"
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
        expect(reply.body, name).toMatchObject({ error: code, message: expect.any(String) })
      }
      const unknown = await raw(server, "/api/no/such/route", {})
      expect(unknown.status).toBe(404)
      expect(unknown.headers.get("content-type")).toContain("json")
      expect(unknown.body).toMatchObject({ error: "not_found", message: expect.any(String) })
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value.apiCacheVersion).toBe(1)
    })

    it("given every CMS provider's minimal body, when created, then 201 with key proxy:{slug} and the provider's fields in value", async () => {
      const planUser = await server.token(`user_cms_${target.name}_${counter++}`)
      const bodies: ReadonlyArray<Record<string, unknown>> = [
        { cms: "contentful", spaceId: "abc123" },
        { cms: "prismic", repository: "acme-repo" },
        { cms: "storyblok" },
        { cms: "webflow" },
        { cms: "sanity", projectId: "p1" },
        { cms: "generic", apiOrigin: "https://api.example.com" }
      ]
      for (const body of bodies) {
        const slug = uniqueSlug(String(body.cms))
        const created = await request(server, "POST", "/api/tenants", {
          token: planUser,
          body: { slug, ...body }
        })
        expect(created.status, JSON.stringify(body)).toBe(201)
        expect(created.body).toEqual({
          ok: true,
          key: `proxy:${slug}`,
          proxyBase: `https://${slug}.cachely.localhost`
        })
        const read = await request(server, "GET", `/api/tenants/${slug}`, { token: planUser })
        expect(read.body).toMatchObject({ key: `proxy:${slug}`, value: { slug, ...body } })
        // Each delete frees the plan slot for the next provider.
        expect((await request(server, "DELETE", `/api/tenants/${slug}`, { token: planUser })).status).toBe(
          200
        )
      }
    })

    it("given a malformed or reserved slug on create, then 400 validation_failed naming slug, and no tenant", async () => {
      for (const slug of [
        "ab",
        "a".repeat(64),
        "-abc",
        "abc-",
        "ACME",
        "ac_me",
        "ac me",
        "www",
        "api",
        "admin"
      ]) {
        const reply = await request(server, "POST", "/api/tenants", {
          token: owner,
          body: { slug, cms: "contentful", spaceId: "abc123" }
        })
        expect(reply.status, slug).toBe(400)
        expect(reply.body.error, slug).toBe("validation_failed")
        expect(reply.body.errors.slug, slug).toEqual(expect.any(Array))
      }
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body).toEqual({
        total: 0,
        tenants: []
      })
    })

    it("given a create body whose cms is missing or unknown, then 400 naming cms with the allowed values, beside the body's other invalid fields, and no tenant", async () => {
      const cmsMessage = "must be one of contentful, prismic, storyblok, webflow, sanity, generic"
      const slugMessage =
        "must be 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit"
      for (const [body, errors] of [
        [
          { slug: "ab", cms: "nope" },
          { cms: [cmsMessage], slug: [slugMessage] }
        ],
        [{ slug: "xyz-1" }, { cms: [cmsMessage] }],
        [{ slug: "ok-slug", cms: 5 }, { cms: [cmsMessage] }],
        [
          { slug: "www", cms: "nope", cacheTTL: "300", websiteDomain: "https://www.acme.com" },
          {
            cms: [cmsMessage],
            slug: ["is reserved"],
            cacheTTL: ["Expected number"],
            websiteDomain: ["must be a hostname such as www.example.com"]
          }
        ],
        [
          { slug: "xyz-2", cms: "nope", websiteDomain: 5 },
          { cms: [cmsMessage], websiteDomain: ["must be a hostname such as www.example.com, or null"] }
        ],
        [
          { slug: "xyz-3", cms: "sanity", projectId: "p1", websiteDomain: false },
          { websiteDomain: ["must be a hostname such as www.example.com, or null"] }
        ],
        ["not an object", { body: ["Expected object"] }]
      ] as const) {
        const reply = await request(server, "POST", "/api/tenants", { token: owner, body })
        expect(reply.status, JSON.stringify(body)).toBe(400)
        expect(reply.body, JSON.stringify(body)).toEqual({
          error: "validation_failed",
          message: "The request body is invalid",
          errors
        })
      }
      // The same sentence as an update naming an unknown cms.
      const slug = await create()
      const update = await request(server, "PUT", `/api/tenants/${slug}`, {
        token: owner,
        body: { cms: "nope" }
      })
      expect(update.status).toBe(400)
      expect(update.body.errors).toEqual({ cms: [cmsMessage] })
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body.total).toBe(1)
    })

    it("slug availability: missing slug query → 400, every malformed shape → 400, a freed slug is available again", async () => {
      const missing = await request(server, "GET", "/api/tenants/slug-availability", { token: owner })
      expect(missing.status).toBe(400)
      expect(missing.body.error).toBe("validation_failed")
      for (const slug of ["ab", "a".repeat(64), "-abc", "abc-", "ACME", ""]) {
        const reply = await request(
          server,
          "GET",
          `/api/tenants/slug-availability?slug=${encodeURIComponent(slug)}`,
          {
            token: owner
          }
        )
        expect(reply.status, JSON.stringify(slug)).toBe(400)
        expect(reply.body.error).toBe("validation_failed")
      }
      for (const reserved of ["api", "app", "admin", "dashboard", "docs", "status"]) {
        const reply = await request(server, "GET", `/api/tenants/slug-availability?slug=${reserved}`, {
          token: owner
        })
        expect(reply.body, reserved).toEqual({ slug: reserved, available: false })
      }
      const slug = await create()
      await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })
      const freed = await request(server, "GET", `/api/tenants/slug-availability?slug=${slug}`, {
        token: owner
      })
      expect(freed.body).toEqual({ slug, available: true })
    })

    it("websiteDomain in any letter case is kept lower case, on create and on update", async () => {
      const slug = await create(owner, { websiteDomain: "WWW.Acme.COM" })
      const path = `/api/tenants/${slug}`
      const stored = async () =>
        (await request(server, "GET", path, { token: owner })).body.value.websiteDomain
      const put = (websiteDomain: string) =>
        request(server, "PUT", path, { token: owner, body: { websiteDomain } })
      expect(await stored()).toBe("www.acme.com")
      expect((await put("Shop.ACME.com")).status).toBe(200)
      expect(await stored()).toBe("shop.acme.com")
      // Only A–Z are lowered: a Unicode mapping would turn the Kelvin sign into a "k".
      const kelvin = await put("www.\u212Acme.com")
      expect(kelvin.status).toBe(400)
      expect(kelvin.body.errors.websiteDomain).toBeDefined()
      expect(await stored()).toBe("shop.acme.com")
    })

    it("update: websiteDomain as a URL → 400, null clears it, cms fields merge, and a rejected PUT appends no audit event", async () => {
      const slug = await create(owner, { websiteDomain: "www.acme.com" })
      const audit = async () =>
        (await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })).body
          .events.length
      const events = await audit()
      for (const websiteDomain of [
        "https://www.acme.com",
        "www.acme.com/path",
        "www.acme.com:8080",
        "127.0.0.1"
      ]) {
        const reply = await request(server, "PUT", `/api/tenants/${slug}`, {
          token: owner,
          body: { websiteDomain }
        })
        expect(reply.status, websiteDomain).toBe(400)
        expect(reply.body.errors.websiteDomain, websiteDomain).toEqual([
          "must be a hostname such as www.example.com"
        ])
      }
      // Neither a string nor null: the sentence names both, not the schema ("Expected string | null").
      for (const websiteDomain of [5, true, {}, ["www.acme.com"]]) {
        const reply = await request(server, "PUT", `/api/tenants/${slug}`, {
          token: owner,
          body: { websiteDomain }
        })
        expect(reply.body, JSON.stringify(websiteDomain)).toEqual({
          error: "validation_failed",
          message: "The request body is invalid",
          errors: { websiteDomain: ["must be a hostname such as www.example.com, or null"] }
        })
      }
      for (const body of [
        { slug: "other-slug", cacheTTL: 60 },
        { cacheTTL: 60, bogus: true },
        { cacheTTL: "60" }
      ]) {
        const reply = await request(server, "PUT", `/api/tenants/${slug}`, { token: owner, body })
        expect(reply.status, JSON.stringify(body)).toBe(400)
      }
      expect(await audit()).toBe(events)
      expect(
        (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value
      ).toMatchObject({
        websiteDomain: "www.acme.com",
        cacheTTL: 300
      })
      const cleared = await request(server, "PUT", `/api/tenants/${slug}`, {
        token: owner,
        body: { websiteDomain: null, environment: "staging" }
      })
      expect(cleared.status).toBe(200)
      expect(cleared.body).toMatchObject({
        key: `proxy:${slug}`,
        value: { websiteDomain: null, environment: "staging", spaceId: "abc123", cacheTTL: 300 }
      })
      expect(await audit()).toBe(events + 1)
    })

    it("given a deleted tenant, then every endpoint on it is 404 not_found, and whoever takes the slug again starts afresh", async () => {
      const slug = await create()
      await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
        token: owner,
        body: { type: "all" }
      })
      const deleted = await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })
      expect(deleted.body).toEqual({ ok: true, key: `proxy:${slug}` })
      const after: ReadonlyArray<[string, string, unknown]> = [
        ["GET", "", undefined],
        ["PUT", "", { cacheTTL: 60 }],
        ["DELETE", "", undefined],
        ["POST", "/refresh-cache", { type: "api" }],
        ["POST", "/edge-config", undefined],
        ["GET", "/audit-events", undefined],
        ["PUT", "/api-config", { apiOrigin: "https://api.example.com", apiAuthMode: "none" }],
        ["PUT", "/api-token", { token: "t" }]
      ]
      for (const [method, suffix, body] of after) {
        const reply = await request(server, method, `/api/tenants/${slug}${suffix}`, { token: owner, body })
        expect(reply.status, `${method} ${suffix}`).toBe(404)
        expect(reply.body, `${method} ${suffix}`).toMatchObject({
          error: "not_found",
          message: expect.any(String)
        })
      }
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body.total).toBe(0)
      // Another user takes the slug: the old owner has no access, and nothing of the old tenant shows.
      const newOwnerId = `user_new_owner_${target.name}_${counter++}`
      const newOwner = await server.token(newOwnerId)
      const again = await request(server, "POST", "/api/tenants", {
        token: newOwner,
        body: { slug, cms: "prismic", repository: "fresh" }
      })
      expect(again.status).toBe(201)
      expect((await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).status).toBe(403)
      const fresh = await request(server, "GET", `/api/tenants/${slug}`, { token: newOwner })
      expect(fresh.body.value).toMatchObject({
        slug,
        cms: "prismic",
        apiCacheVersion: 1,
        assetCacheVersion: 1,
        htmlCacheVersion: 1,
        hasApiToken: false,
        apiConfig: null
      })
      expect(fresh.body.value.spaceId).toBeUndefined()
      const history = await request(server, "GET", `/api/tenants/${slug}/audit-events`, { token: newOwner })
      expect(history.body).toMatchObject({
        hasMore: false,
        events: [{ type: "TenantCreated", actor: { id: newOwnerId } }]
      })
      expect(history.body.events).toHaveLength(1)
    })

    it("list: total counts only the caller's tenants, each with key, slug, role and value; other users' tenants never show", async () => {
      const mine = [await create(), await create()]
      const otherToken = await server.token(`user_other_${target.name}_${counter++}`)
      const theirs = await create(otherToken)
      const list = await request(server, "GET", "/api/tenants", { token: owner })
      expect(list.status).toBe(200)
      expect(list.body.total).toBe(2)
      expect(list.body.tenants.map((t: { slug: string }) => t.slug).sort()).toEqual([...mine].sort())
      for (const tenant of list.body.tenants) {
        expect(tenant).toMatchObject({
          key: `proxy:${tenant.slug}`,
          role: "owner",
          value: { slug: tenant.slug, cms: "contentful" }
        })
      }
      expect(JSON.stringify(list.body)).not.toContain(theirs)
      const noSession = await request(server, "GET", "/api/tenants")
      expect(noSession.status).toBe(401)
      expect(noSession.body).toEqual({ error: "unauthorized", message: expect.any(String) })
    })

    it("beyond maxTenants → 403 plan_limit, and deleting an owned tenant frees a slot again", async () => {
      const slugs = [await create(), await create(), await create()]
      const fourth = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug: uniqueSlug("fourth"), cms: "contentful", spaceId: "x" }
      })
      expect(fourth.status).toBe(403)
      expect(fourth.body).toMatchObject({
        error: "plan_limit",
        message: expect.any(String),
        plan: "free",
        maxTenants: 3
      })
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body.total).toBe(3)
      await request(server, "DELETE", `/api/tenants/${slugs[0]}`, { token: owner })
      await create()
    })

    it("given 6 concurrent creates of different slugs by one user on the free plan, then exactly maxTenants (3) are 201 and the rest 403 plan_limit", async () => {
      const replies = await Promise.all(
        Array.from({ length: 6 }, () =>
          request(server, "POST", "/api/tenants", {
            token: owner,
            body: { slug: uniqueSlug("burst"), cms: "contentful", spaceId: "x" }
          })
        )
      )
      const statuses = replies.map((r) => r.status).sort()
      expect(statuses).toEqual([201, 201, 201, 403, 403, 403])
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body.total).toBe(3)
    })

    it("given concurrent writes of every kind on one tenant, then none is lost: versions, audit count and final state add up", async () => {
      const slug = await create()
      const audit = async () =>
        (await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })).body
          .events.length
      const before = await audit()
      const writes = [
        ...Array.from({ length: 8 }, () =>
          request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
            token: owner,
            body: { type: "html" }
          })
        ),
        ...Array.from({ length: 8 }, (_, i) =>
          request(server, "PUT", `/api/tenants/${slug}`, { token: owner, body: { cacheTTL: 1000 + i } })
        ),
        ...Array.from({ length: 4 }, () =>
          request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
            token: owner,
            body: { type: "all" }
          })
        )
      ]
      const replies = await Promise.all(writes)
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200))
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(read.body.value).toMatchObject({
        apiCacheVersion: 5,
        assetCacheVersion: 5,
        htmlCacheVersion: 13
      })
      expect(read.body.value.cacheTTL).toBeGreaterThanOrEqual(1000)
      expect(read.body.value.cacheTTL).toBeLessThan(1008)
      expect(await audit()).toBe(before + 20)
      const snapshot = await eventually(
        () => kvSnapshot(slug),
        (s) => s?.cache?.htmlCacheVersion === 13 && s?.cache?.ttl === read.body.value.cacheTTL
      )
      expect(snapshot.cache).toEqual({
        ttl: read.body.value.cacheTTL,
        apiCacheVersion: 5,
        assetCacheVersion: 5,
        htmlCacheVersion: 13
      })
    })

    it("given 5 concurrent deletes of one tenant, then exactly one 200 {ok,key} and the rest 404 not_found", async () => {
      const slug = await create()
      const replies = await Promise.all(
        Array.from({ length: 5 }, () => request(server, "DELETE", `/api/tenants/${slug}`, { token: owner }))
      )
      expect(replies.filter((r) => r.status === 200).map((r) => r.body)).toEqual([
        { ok: true, key: `proxy:${slug}` }
      ])
      expect(replies.filter((r) => r.status === 404 && r.body.error === "not_found")).toHaveLength(4)
    })

    it("the edge projector: each refresh-cache type lands in proxy:{slug} with the versions the API answered, api-config opens the gate once a token is set", async () => {
      const slug = await create()
      for (const type of ["api", "assets", "html", "all"]) {
        const bumped = await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
          token: owner,
          body: { type }
        })
        const { apiCacheVersion, assetCacheVersion, htmlCacheVersion } = bumped.body.versions
        const snapshot = await eventually(
          () => kvSnapshot(slug),
          (s) =>
            s?.cache?.apiCacheVersion === apiCacheVersion &&
            s?.cache?.assetCacheVersion === assetCacheVersion &&
            s?.cache?.htmlCacheVersion === htmlCacheVersion
        )
        expect(snapshot.cache, type).toMatchObject({ apiCacheVersion, assetCacheVersion, htmlCacheVersion })
      }
      await request(server, "PUT", `/api/tenants/${slug}/api-config`, {
        token: owner,
        body: { apiOrigin: "https://api.example.com", apiAuthMode: "bearer" }
      })
      expect(
        (
          await eventually(
            () => kvSnapshot(slug),
            (s) => s?.gate?.apiProxy === "closed_missing_token"
          )
        ).gate.apiProxy
      ).toBe("closed_missing_token")
      await request(server, "PUT", `/api/tenants/${slug}/api-token`, {
        token: owner,
        body: { token: "upstream-secret-1" }
      })
      const open = await eventually(
        () => kvSnapshot(slug),
        (s) => s?.gate?.apiProxy === "open"
      )
      expect(open).toMatchObject({
        slug,
        api: { origin: "https://api.example.com", authMode: "bearer", hasApiToken: true }
      })
      expect(JSON.stringify(open)).not.toContain("upstream-secret-1")
    })

    it("edge-config: given proxy:{slug} was lost from the KV, when an editor calls edge-config, then it is written back and kv.exists is true", async () => {
      const slug = await create()
      await eventually(
        () => kvSnapshot(slug),
        (s) => s !== undefined
      )
      await server.run(
        Effect.gen(function* () {
          const kv = yield* Kv
          yield* kv.delete(`proxy:${slug}`)
        })
      )
      expect(await kvSnapshot(slug)).toBeUndefined()
      const synced = await request(server, "POST", `/api/tenants/${slug}/edge-config`, { token: owner })
      expect(synced.status).toBe(200)
      expect(synced.body).toMatchObject({
        ok: true,
        summary: {
          publicOrigin: null,
          proxyBase: `https://${slug}.cachely.localhost`,
          gate: { siteProxy: "closed" }
        },
        kv: { exists: true, publicOrigin: null }
      })
      expect(await kvSnapshot(slug)).toMatchObject({ slug, cache: { apiCacheVersion: 1 } })
    })

    it("audit-events: pages never mix tenants, hasMore is false at an exact boundary, beforeId past the first event is empty, and the event carries the request's X-Request-ID", async () => {
      const a = await create()
      const b = await create()
      for (let i = 0; i < 3; i++) {
        await request(server, "POST", `/api/tenants/${a}/refresh-cache`, {
          token: owner,
          body: { type: "api" }
        })
        await request(server, "POST", `/api/tenants/${b}/refresh-cache`, {
          token: owner,
          body: { type: "html" }
        })
      }
      await request(server, "PUT", `/api/tenants/${a}`, {
        token: owner,
        body: { cacheTTL: 77 },
        headers: { "x-request-id": "trace-audit-77" }
      })
      const all = await request(server, "GET", `/api/tenants/${a}/audit-events`, { token: owner })
      expect(all.body.hasMore).toBe(false)
      expect(all.body.events).toHaveLength(5)
      const ids = all.body.events.map((e: { id: number }) => e.id)
      expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x))
      for (const event of all.body.events) {
        expect(event).toMatchObject({
          id: expect.any(Number),
          type: expect.any(String),
          occurredAt: expect.any(String),
          actor: { type: "user", id: ownerId },
          summary: expect.any(String),
          data: expect.any(Object)
        })
        expect(event.summary.length).toBeGreaterThan(0)
        expect(Number.isNaN(Date.parse(event.occurredAt))).toBe(false)
      }
      expect(all.body.events[0]).toMatchObject({ type: expect.any(String), requestId: "trace-audit-77" })
      const bIds = (
        await request(server, "GET", `/api/tenants/${b}/audit-events`, { token: owner })
      ).body.events.map((e: { id: number }) => e.id)
      expect(bIds).toHaveLength(4)
      expect(ids.filter((id: number) => bIds.includes(id))).toEqual([])
      const exact = await request(server, "GET", `/api/tenants/${a}/audit-events?limit=5`, { token: owner })
      expect(exact.body.hasMore).toBe(false)
      expect(exact.body.events).toHaveLength(5)
      // walking one by one with beforeId gives the same ids
      const walked: Array<number> = []
      let beforeId: number | undefined
      for (let page = 0; page < 10; page++) {
        const query = beforeId === undefined ? "limit=1" : `limit=1&beforeId=${beforeId}`
        const reply = await request(server, "GET", `/api/tenants/${a}/audit-events?${query}`, {
          token: owner
        })
        walked.push(...reply.body.events.map((e: { id: number }) => e.id))
        if (!reply.body.hasMore) break
        beforeId = reply.body.events[0].id
      }
      expect(walked).toEqual(ids)
      const oldest = ids[ids.length - 1]
      const none = await request(server, "GET", `/api/tenants/${a}/audit-events?beforeId=${oldest}`, {
        token: owner
      })
      expect(none.body).toEqual({ events: [], hasMore: false })
      for (const query of ["limit=1.5", "beforeId=0", "beforeId=abc", "limit=-1", "limit="]) {
        const bad = await request(server, "GET", `/api/tenants/${a}/audit-events?${query}`, { token: owner })
        expect(bad.status, query).toBe(400)
        expect(bad.body.error, query).toBe("validation_failed")
      }
    })

    it("sessions: a token without exp, one not yet valid (nbf), an unsigned one (alg none) and a bad __session cookie → 401; the cookie among others works", async () => {
      const slug = await create()
      const path = `/api/tenants/${slug}`
      const keys = await Effect.runPromise(loadOrCreateDevKeys(server.dataDir))
      const now = Math.floor(Date.now() / 1000)
      const noExp = await new SignJWT({ sub: ownerId })
        .setProtectedHeader({ alg: "ES256", kid: keys.kid })
        .sign(keys.privateKey)
      const notYet = await new SignJWT({ sub: ownerId })
        .setProtectedHeader({ alg: "ES256", kid: keys.kid })
        .setNotBefore(now + 600)
        .setExpirationTime(now + 3600)
        .sign(keys.privateKey)
      const noSub = await new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: keys.kid })
        .setExpirationTime(now + 3600)
        .sign(keys.privateKey)
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
      const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: ownerId, exp: now + 3600 })}.`
      const tampered = (() => {
        const [header, , signature] = owner.split(".")
        return `${header}.${b64({ sub: masterAdminId, exp: now + 3600 })}.${signature}`
      })()
      for (const [name, token] of [
        ["no exp", noExp],
        ["nbf in the future", notYet],
        ["no sub", noSub],
        ["alg none", unsigned],
        ["payload swapped under the signature", tampered]
      ] as const) {
        const reply = await request(server, "GET", path, { token })
        expect(reply.status, name).toBe(401)
        expect(reply.body, name).toEqual({ error: "unauthorized", message: expect.any(String) })
      }
      const badCookie = await raw(server, path, { headers: { cookie: "__session=garbage" } })
      expect(badCookie.status).toBe(401)
      expect(badCookie.body.error).toBe("unauthorized")
      const amongOthers = await raw(server, path, {
        headers: { cookie: `theme=dark; __session=${owner}; x=1` }
      })
      expect(amongOthers.status).toBe(200)
      expect(amongOthers.body.key).toBe(`proxy:${slug}`)
      // A change made with the cookie comes from an allowed origin (cookieSessions.e2e.test.ts).
      const origin = new URL(await server.run(Effect.map(Config, (config) => config.publicBaseUrl))).origin
      const cookieWrite = await raw(server, `${path}/refresh-cache`, {
        method: "POST",
        headers: { cookie: `__session=${owner}`, "content-type": "application/json", origin },
        body: JSON.stringify({ type: "api" })
      })
      expect(cookieWrite.status).toBe(200)
      expect(cookieWrite.body.versions.apiCacheVersion).toBe(2)
    })

    it("master admin: reads, updates, refreshes, saves API config and deletes a tenant they are not a member of; unknown tenant → 404 not_found; a non-member → 403 forbidden on every endpoint", async () => {
      const slug = await create()
      const master = await server.token(masterAdminId)
      const stranger = await server.token(`user_stranger_${target.name}_${counter++}`)
      const path = `/api/tenants/${slug}`
      const calls: ReadonlyArray<[string, string, unknown]> = [
        ["GET", "", undefined],
        ["PUT", "", { cacheTTL: 42 }],
        ["POST", "/refresh-cache", { type: "assets" }],
        ["POST", "/edge-config", undefined],
        ["GET", "/audit-events", undefined],
        ["PUT", "/api-config", { apiOrigin: "https://api.example.com", apiAuthMode: "none" }],
        ["PUT", "/api-token", { token: "t" }],
        ["DELETE", "", undefined]
      ]
      for (const [method, suffix, body] of calls) {
        const reply = await request(server, method, `${path}${suffix}`, { token: stranger, body })
        expect(reply.status, `${method} ${suffix}`).toBe(403)
        expect(reply.body, `${method} ${suffix}`).toEqual({ error: "forbidden", message: expect.any(String) })
      }
      for (const [method, suffix, body] of calls.slice(0, -1)) {
        const reply = await request(server, method, `${path}${suffix}`, { token: master, body })
        expect(reply.status, `${method} ${suffix}`).toBe(200)
      }
      const read = await request(server, "GET", path, { token: master })
      expect(read.body.value).toMatchObject({
        cacheTTL: 42,
        assetCacheVersion: 2,
        apiConfig: { apiAuthMode: "none" }
      })
      const events = await request(server, "GET", `${path}/audit-events`, { token: owner })
      expect(events.body.events[0].actor).toEqual({ type: "user", id: masterAdminId })
      const unknown = await request(server, "GET", "/api/tenants/no-such-tenant-here", { token: master })
      expect(unknown.status).toBe(404)
      expect(unknown.body).toEqual({ error: "not_found", message: expect.any(String) })
      const unknownForStranger = await request(server, "PUT", "/api/tenants/no-such-tenant-here", {
        token: stranger,
        body: { cacheTTL: 1 }
      })
      expect(unknownForStranger.status).toBe(404)
      expect(unknownForStranger.body.error).toBe("not_found")
      expect((await request(server, "DELETE", path, { token: master })).body).toEqual({
        ok: true,
        key: `proxy:${slug}`
      })
      expect((await request(server, "GET", path, { token: owner })).status).toBe(404)
    })

    it("the envelope, further: an X-Request-ID with spaces or 129 characters is replaced, a 128-character one echoed, every error carries one", async () => {
      const ok = "a".repeat(128)
      expect(
        (await raw(server, "/healthz", { headers: { "x-request-id": ok } })).headers.get("x-request-id")
      ).toBe(ok)
      for (const insane of ["has spaces in it", "a".repeat(129), "semi;colon", 'quote"d', ""]) {
        const reply = await raw(server, "/api/tenants", { headers: { "x-request-id": insane } })
        expect(reply.status).toBe(401)
        const id = reply.headers.get("x-request-id")
        expect(id, JSON.stringify(insane)).not.toBe(insane)
        expect(id, JSON.stringify(insane)).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
      }
      const a = (await raw(server, "/healthz", {})).headers.get("x-request-id")
      const b = (await raw(server, "/healthz", {})).headers.get("x-request-id")
      expect(a).not.toBe(b)
      const created = await request(server, "POST", "/api/tenants", {
        token: owner,
        body: { slug: uniqueSlug("rid"), cms: "contentful", spaceId: "x" },
        headers: { "x-request-id": "trace-create-1" }
      })
      expect(created.status).toBe(201)
      expect(created.headers.get("x-request-id")).toBe("trace-create-1")
    })

    it("the envelope for requests node:http's parser refuses: a malformed request line, headers over the size limit, a bad Content-Length answer JSON with an X-Request-ID, and the connection closes", async () => {
      const host = new URL(server.baseUrl).host
      const cases: Array<[string, string, number, string]> = [
        ["malformed request line", "NOT A REQUEST\r\n\r\n", 400, "validation_failed"],
        [
          "headers over the limit",
          `GET /api/tenants HTTP/1.1\r\nhost: ${host}\r\nx-padding: ${"a".repeat(20_000)}\r\n\r\n`,
          431,
          "payload_too_large"
        ],
        [
          "a URL over the limit",
          `GET /api/tenants/${"a".repeat(20_000)} HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
          431,
          "payload_too_large"
        ],
        [
          "a Content-Length that is not a number",
          `POST /api/tenants HTTP/1.1\r\nhost: ${host}\r\ncontent-length: abc\r\n\r\n`,
          400,
          "validation_failed"
        ]
      ]
      for (const [label, bytes, status, error] of cases) {
        const answer = await rawExchange(server, bytes)
        expect(answer.status, label).toBe(status)
        expect(answer.headers["content-type"], label).toBe("application/json")
        expect(answer.headers["x-request-id"], label).toMatch(/^req_/)
        expect(answer.headers.connection, label).toBe("close")
        const body = JSON.parse(answer.body)
        expect(body.error, label).toBe(error)
        expect(typeof body.message, label).toBe("string")
        if (status === 400) expect(body.errors, label).toEqual({ request: ["The request is malformed"] })
      }
      // The server still serves afterwards.
      expect((await raw(server, "/healthz", {})).status).toBe(200)
    })

    it("after a request the parser refuses, the connection is closed both ways: a client that keeps its side open and sends a valid request later gets no answer, the connection ends, and nothing is created", async () => {
      const url = new URL(server.baseUrl)
      const slug = uniqueSlug("late")
      const late = JSON.stringify({ slug, cms: "generic", apiOrigin: "https://api.example.com" })
      const outcome = await new Promise<{ answers: number; closed: boolean }>((resolve) => {
        const socket = connect({ port: Number(url.port), host: url.hostname, allowHalfOpen: true })
        let text = ""
        socket.on("data", (data: Buffer) => {
          text += data.toString("latin1")
        })
        socket.on("error", () => {})
        const answers = () => text.split("HTTP/1.1 ").length - 1
        const timer = setTimeout(() => {
          socket.destroy()
          resolve({ answers: answers(), closed: false })
        }, 3000)
        socket.on("close", () => {
          clearTimeout(timer)
          resolve({ answers: answers(), closed: true })
        })
        socket.write("NOT A REQUEST\r\n\r\n")
        // Past the server's grace for flushing its answer: a half-closed socket would still read
        // this. A closed one answers it with a reset, which the next write reports.
        const lateRequest =
          `POST /api/tenants HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${owner}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(late)}\r\n\r\n${late}`
        setTimeout(() => socket.write(lateRequest), 800)
        setTimeout(() => socket.write(lateRequest), 1100)
      })
      expect(outcome).toEqual({ answers: 1, closed: true })
      expect((await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).status).toBe(404)
    })

    it("a malformed request pipelined behind a valid one does not answer in its place: the valid one's own answer comes back, then the connection closes", async () => {
      const slug = uniqueSlug("piped")
      const body = JSON.stringify({ slug, cms: "generic", apiOrigin: "https://api.example.com" })
      const host = new URL(server.baseUrl).host
      const answer = await rawExchange(
        server,
        `POST /api/tenants HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${owner}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
          "BROKEN LINE\r\n\r\n"
      )
      expect(answer.status).toBe(201)
      expect(answer.body.split("HTTP/1.1 ").length - 1).toBe(0)
      expect((await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).status).toBe(200)
    })

    it("the envelope on every JSON route: malformed JSON, an empty body, text/plain, a form and no content type are 4xx JSON envelopes and change nothing", async () => {
      const slug = await create()
      const routes: ReadonlyArray<[string, string]> = [
        ["POST", "/api/tenants"],
        ["PUT", `/api/tenants/${slug}`],
        ["POST", `/api/tenants/${slug}/refresh-cache`],
        ["PUT", `/api/tenants/${slug}/api-config`],
        ["PUT", `/api/tenants/${slug}/api-token`]
      ]
      const before = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      const auth = { authorization: `Bearer ${owner}` }
      const shapes: ReadonlyArray<
        [string, Record<string, string>, string | undefined, ReadonlyArray<number>]
      > = [
        ["malformed JSON", { "content-type": "application/json" }, '{"type":', [400]],
        ["trailing garbage", { "content-type": "application/json" }, '{"type":"api"} x', [400]],
        ["an empty body", { "content-type": "application/json" }, "", [400]],
        ["JSON null", { "content-type": "application/json" }, "null", [400]],
        ["a JSON array", { "content-type": "application/json" }, "[]", [400]],
        ["text/plain", { "content-type": "text/plain" }, '{"type":"api","token":"x"}', [400]],
        ["a form", { "content-type": "application/x-www-form-urlencoded" }, "type=api&token=x", [400]],
        ["multipart", { "content-type": "multipart/form-data; boundary=x" }, "--x--", [400]]
      ]
      for (const [method, path] of routes) {
        for (const [name, headers, body, statuses] of shapes) {
          const reply = await raw(server, path, {
            method,
            headers: { ...auth, ...headers },
            ...(body === undefined ? {} : { body })
          })
          expect(statuses, `${method} ${path} with ${name}: ${reply.status} ${reply.text}`).toContain(
            reply.status
          )
          expect(reply.body, `${method} ${path} with ${name}`).toMatchObject({
            error: "validation_failed",
            message: expect.any(String),
            // CONTRACT.md: validation failures say what is wrong, field by field.
            errors: expect.any(Object)
          })
          expect(Object.keys(reply.body.errors).length, `${method} ${path} with ${name}`).toBeGreaterThan(0)
        }
      }
      const noType = await raw(server, `/api/tenants/${slug}/refresh-cache`, {
        method: "POST",
        headers: auth,
        body: new Blob(['{"type":"api"}'])
      })
      expect(noType.status === 200 || noType.status === 400, `${noType.status}`).toBe(true)
      const charset = await raw(server, `/api/tenants/${slug}`, {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ cacheTTL: 301 })
      })
      expect(charset.status).toBe(200)
      const after = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect({ ...after.body.value, updatedAt: "", cacheTTL: 0 }).toEqual({
        ...before.body.value,
        updatedAt: "",
        cacheTTL: 0,
        // a body with no content type may be read as JSON; then that one bump is the only change
        apiCacheVersion: noType.status === 200 ? 2 : 1
      })
      expect((await request(server, "GET", "/api/tenants", { token: owner })).body.total).toBe(1)
    })

    it("the envelope: a body over 1 MiB → 413 payload_too_large on every JSON route, also when sent chunked without Content-Length; just under is an ordinary 400", async () => {
      const slug = await create()
      const auth = { authorization: `Bearer ${owner}`, "content-type": "application/json" }
      const huge = JSON.stringify({ token: "a".repeat(1024 * 1024 + 10) })
      for (const [method, path] of [
        ["POST", "/api/tenants"],
        ["PUT", `/api/tenants/${slug}`],
        ["PUT", `/api/tenants/${slug}/api-token`],
        ["PUT", `/api/tenants/${slug}/api-config`]
      ] as const) {
        const reply = await raw(server, path, { method, headers: auth, body: huge })
        expect(reply.status, `${method} ${path}`).toBe(413)
        expect(reply.body.error).toBe("payload_too_large")
      }
      const chunks = [
        new TextEncoder().encode('{"token":"'),
        ...Array.from({ length: 20 }, () => new Uint8Array(64 * 1024).fill(97))
      ]
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift()
          if (next === undefined) {
            controller.enqueue(new TextEncoder().encode('"}'))
            controller.close()
          } else controller.enqueue(next)
        }
      })
      const chunked = await raw(server, `/api/tenants/${slug}/api-token`, {
        method: "PUT",
        headers: auth,
        body: stream,
        duplex: "half"
      } as RequestInit)
      expect(chunked.status).toBe(413)
      expect(chunked.body.error).toBe("payload_too_large")
      const under = await raw(server, `/api/tenants/${slug}/api-token`, {
        method: "PUT",
        headers: auth,
        body: JSON.stringify({ token: "a".repeat(1024 * 1024 - 100) })
      })
      expect(under.status).toBe(400)
      expect(under.body.error).toBe("validation_failed")
      expect(
        (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value.hasApiToken
      ).toBe(false)
    })

    it("the envelope: unknown routes and unsupported methods are JSON 404/405, never 2xx or 5xx", async () => {
      const slug = await create()
      for (const [method, path] of [
        ["GET", "/api/no/such/route"],
        ["GET", `/api/tenants/${slug}/nope`],
        ["POST", "/nope"],
        ["PATCH", `/api/tenants/${slug}`],
        ["POST", `/api/tenants/${slug}`],
        ["DELETE", "/api/tenants"],
        ["GET", `/api/tenants/${slug}/refresh-cache`],
        ["PUT", "/api/tenants/slug-availability"]
      ] as const) {
        const reply = await raw(server, path, { method, headers: { authorization: `Bearer ${owner}` } })
        expect([404, 405], `${method} ${path}: ${reply.status}`).toContain(reply.status)
        expect(reply.body, `${method} ${path}`).toMatchObject({
          error: expect.any(String),
          message: expect.any(String)
        })
      }
    })

    it("given the typed client, when refresh-cache, edge-config, audit-events, api-config, api-token and slug availability are called, then typed answers; errors arrive as the contract's typed errors", async () => {
      const slug = await create()
      await Effect.runPromise(
        Effect.gen(function* () {
          const client = yield* makeTenantryClient({ baseUrl: server.baseUrl, token: owner })
          const refreshed = yield* client.tenant.refreshCache({
            params: { slug },
            payload: { type: "assets" }
          })
          expect(refreshed).toEqual({
            ok: true,
            versions: { apiCacheVersion: 1, assetCacheVersion: 2, htmlCacheVersion: 1 }
          })
          const edge = yield* client.tenant.edgeConfig({ params: { slug } })
          expect(edge.ok).toBe(true)
          expect(edge.kv.exists).toBe(true)
          const config = yield* client.tenant.saveApiConfig({
            params: { slug },
            payload: { apiOrigin: "https://api.example.com", apiAuthMode: "query", apiAuthQueryParam: "key" }
          })
          expect(config).toMatchObject({ apiAuthMode: "query", apiAuthQueryParam: "key", apiCacheTTL: 60 })
          const token = yield* client.tenant.saveApiToken({
            params: { slug },
            payload: { token: "typed-secret-xyz" }
          })
          expect(token.ok).toBe(true)
          expect(Number.isNaN(Date.parse(token.updatedAt))).toBe(false)
          const audit = yield* client.tenant.auditEvents({ params: { slug }, query: { limit: 2 } })
          expect(audit.events).toHaveLength(2)
          expect(audit.hasMore).toBe(true)
          expect(JSON.stringify(audit)).not.toContain("typed-secret-xyz")
          const available = yield* client.tenants.slugAvailability({ query: { slug } })
          expect(available).toEqual({ slug, available: false })
          const taken = yield* Effect.flip(
            client.tenants.createTenant({ payload: { slug: slug as Slug, cms: "contentful", spaceId: "x" } })
          )
          expect(taken).toMatchObject({ _tag: "SlugTaken", error: "slug_taken", slug })
          const missing = yield* Effect.flip(
            client.tenant.getTenant({ params: { slug: "no-such-tenant" }, query: {} })
          )
          expect(missing).toMatchObject({ _tag: "NotFound", error: "not_found" })
          const anonymous = yield* makeTenantryClient({ baseUrl: server.baseUrl })
          const unauthorized = yield* Effect.flip(anonymous.tenants.listTenants())
          expect(unauthorized).toMatchObject({ _tag: "Unauthorized", error: "unauthorized" })
          const stranger = yield* makeTenantryClient({
            baseUrl: server.baseUrl,
            token: yield* Effect.promise(() => server.token(`user_typed_stranger_${counter++}`))
          })
          const forbidden = yield* Effect.flip(stranger.tenant.getTenant({ params: { slug }, query: {} }))
          expect(forbidden).toMatchObject({ _tag: "Forbidden", error: "forbidden" })
        })
      )
    })

    it("given a {slug} path segment with a NUL byte or undecodable bytes, when any tenant route is called, then 404 not_found (or 400), never 5xx", async () => {
      const slug = await create()
      for (const segment of [
        `${slug}%00`,
        "%00",
        "ac%00me",
        `${slug}%ff`,
        "pr%C3%B6be",
        `${"a".repeat(300)}`
      ]) {
        for (const [method, suffix, body] of [
          ["GET", "", undefined],
          ["PUT", "", { cacheTTL: 5 }],
          ["DELETE", "", undefined],
          ["POST", "/refresh-cache", { type: "api" }],
          ["POST", "/edge-config", undefined],
          ["GET", "/audit-events", undefined]
        ] as const) {
          const reply = await request(server, method, `/api/tenants/${segment}${suffix}`, {
            token: owner,
            body
          })
          expect(
            [400, 404],
            `${method} /api/tenants/${segment}${suffix} → ${reply.status} ${reply.text}`
          ).toContain(reply.status)
          expect(reply.body.error).toEqual(expect.any(String))
        }
      }
      expect(
        (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value.apiCacheVersion
      ).toBe(1)
    })

    it("given a validly signed session whose sub holds a lone UTF-16 surrogate, when it lists and creates, then 2xx or 401, never 5xx", async () => {
      const odd = await server.token("user_\uD800_lone")
      const list = await request(server, "GET", "/api/tenants", { token: odd })
      expect([200, 401]).toContain(list.status)
      const created = await request(server, "POST", "/api/tenants", {
        token: odd,
        body: { slug: uniqueSlug("surrogate"), cms: "webflow" }
      })
      expect([201, 401], `${created.status} ${created.text}`).toContain(created.status)
    })

    it("health: /healthz answers; /readyz says the database answers", async () => {
      expect((await request(server, "GET", "/healthz")).body).toEqual({ ok: true })
      expect((await request(server, "GET", "/readyz")).body).toEqual({ ok: true, database: "ok" })
    })
  })
}
