import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pglite } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * CONTRACT.md, Sessions: "A state-changing request (POST, PUT, PATCH, DELETE) authenticated
 * by the __session cookie must carry an Origin (or, failing that, Referer) in
 * ALLOWED_ORIGINS (comma-separated; default the origin of PUBLIC_BASE_URL), else 403
 * forbidden; a bearer header needs no such check."
 */

const app = "https://app.example.com"
const admin = "https://admin.example.com:8443"

const withCookie = async (
  server: TestServer,
  method: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
  body?: unknown
) => {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      cookie: `__session=${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
  return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as any }
}

describe("Cookie sessions and where a change comes from (pglite)", () => {
  let server: TestServer
  let owner: string
  let slug: string

  beforeAll(async () => {
    server = await startTestServer(pglite, { ALLOWED_ORIGINS: `${app}, ${admin}` })
    owner = await server.token("user_owner_cookie")
    slug = await createGenericTenant(server, owner, "cookie")
  })
  afterAll(async () => {
    await server?.close()
  })

  const apiVersion = async () =>
    (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value.apiCacheVersion

  it("given a __session cookie, when a POST, PUT or DELETE carries no Origin and no Referer, then 403 forbidden and nothing changes, including a POST with no body", async () => {
    const before = await apiVersion()
    const refused = [
      await withCookie(server, "POST", `/api/tenants/${slug}/refresh-cache`, owner, {}, { type: "api" }),
      await withCookie(server, "PUT", `/api/tenants/${slug}`, owner, {}, { cacheTTL: 99 }),
      await withCookie(server, "POST", `/api/tenants/${slug}/webhook-secret`, owner),
      await withCookie(server, "DELETE", `/api/tenants/${slug}`, owner)
    ]
    for (const reply of refused) {
      expect(reply.status).toBe(403)
      expect(reply.body).toEqual({ error: "forbidden", message: expect.stringContaining("Origin") })
    }
    expect(await apiVersion()).toBe(before)
    const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
    expect(tenant.status).toBe(200)
    expect(tenant.body.value.cacheTTL).not.toBe(99)
  })

  it("given a __session cookie, when a change comes from an origin outside ALLOWED_ORIGINS (by Origin, by Referer, or the opaque null origin), then 403 forbidden", async () => {
    const before = await apiVersion()
    for (const headers of [
      { origin: "https://evil.example.com" },
      { origin: "https://app.example.com.evil.example" },
      { origin: "http://app.example.com" },
      { origin: "null" },
      { referer: "https://evil.example.com/app.example.com" },
      // Origin wins over Referer: a foreign Origin is not rescued by an allowed Referer.
      { origin: "https://evil.example.com", referer: `${app}/settings` }
    ]) {
      const reply = await withCookie(server, "POST", `/api/tenants/${slug}/refresh-cache`, owner, headers, {
        type: "api"
      })
      expect(reply.status, JSON.stringify(headers)).toBe(403)
      expect(reply.body.error).toBe("forbidden")
    }
    expect(await apiVersion()).toBe(before)
  })

  it("given a __session cookie, when a change comes from an allowed origin by Origin or, failing that, by Referer, then it goes through", async () => {
    const before = await apiVersion()
    const byOrigin = await withCookie(
      server,
      "POST",
      `/api/tenants/${slug}/refresh-cache`,
      owner,
      { origin: app },
      { type: "api" }
    )
    expect(byOrigin.status).toBe(200)
    const byReferer = await withCookie(
      server,
      "POST",
      `/api/tenants/${slug}/refresh-cache`,
      owner,
      { referer: `${admin}/tenants/${slug}?tab=cache` },
      { type: "api" }
    )
    expect(byReferer.status).toBe(200)
    expect(byReferer.body.versions.apiCacheVersion).toBe(before + 2)
  })

  it("given a __session cookie, when it reads (GET), then no Origin is needed; and a bad cookie is still 401, not 403", async () => {
    expect((await withCookie(server, "GET", `/api/tenants/${slug}`, owner)).status).toBe(200)
    expect((await withCookie(server, "GET", "/api/tenants", owner)).status).toBe(200)
    const bad = await withCookie(
      server,
      "POST",
      `/api/tenants/${slug}/refresh-cache`,
      "garbage",
      {},
      {
        type: "api"
      }
    )
    expect(bad.status).toBe(401)
    expect(bad.body.error).toBe("unauthorized")
  })

  it("given a bearer header, when it changes something with no Origin or from another origin, then no such check applies", async () => {
    const before = await apiVersion()
    const bare = await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
      token: owner,
      body: { type: "api" }
    })
    expect(bare.status).toBe(200)
    const foreign = await fetch(`${server.baseUrl}/api/tenants/${slug}/refresh-cache`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${owner}`,
        "content-type": "application/json",
        origin: "https://evil.example.com"
      },
      body: JSON.stringify({ type: "api" })
    })
    expect(foreign.status).toBe(200)
    expect(await apiVersion()).toBe(before + 2)
  })
})

describe("Cookie sessions with ALLOWED_ORIGINS unset (pglite)", () => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(pglite, { PUBLIC_BASE_URL: "https://tenantry.example.com/console/" })
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given PUBLIC_BASE_URL, when a change made with the cookie comes from its origin, then it goes through; from any other origin, 403", async () => {
    const owner = await server.token("user_owner_default_origin")
    const created = await withCookie(
      server,
      "POST",
      "/api/tenants",
      owner,
      { origin: "https://tenantry.example.com" },
      {
        slug: `default-origin-${Date.now().toString(36)}`,
        cms: "generic",
        apiOrigin: "https://api.example.com"
      }
    )
    expect(created.status).toBe(201)
    const refused = await withCookie(
      server,
      "POST",
      "/api/tenants",
      owner,
      { origin: server.baseUrl },
      {
        slug: `default-origin-${Date.now().toString(36)}x`,
        cms: "generic",
        apiOrigin: "https://api.example.com"
      }
    )
    expect(refused.status).toBe(403)
  })
})
