import { HttpApi } from "effect/http-api"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Api } from "../../adapters/http/api/Api.ts"
import { pglite } from "../support/databases.ts"
import { createGenericTenant } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/** CONTRACT.md, Responses: "A method a known path does not serve is 405 method_not_allowed with Allow." */

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

/** Every path of the API definition with the methods declared on it. */
const declared = () => {
  const byPath = new Map<string, Set<string>>()
  HttpApi.reflect(Api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      const served = byPath.get(endpoint.path) ?? new Set<string>()
      served.add(endpoint.method)
      byPath.set(endpoint.path, served)
    }
  })
  return byPath
}

const call = async (server: TestServer, method: string, path: string, token?: string) => {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
  })
  const text = await response.text()
  return {
    status: response.status,
    allow: response.headers.get("allow"),
    requestId: response.headers.get("x-request-id"),
    contentType: response.headers.get("content-type"),
    text,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
    body: (text === "" ? undefined : JSON.parse(text)) as any
  }
}

const allowed = (header: string | null) => new Set((header ?? "").split(",").map((method) => method.trim()))

describe("Methods a known path does not serve (pglite)", () => {
  let server: TestServer
  let owner: string
  let slug: string

  beforeAll(async () => {
    server = await startTestServer(pglite)
    owner = await server.token("user_owner_methods")
    slug = await createGenericTenant(server, owner, "methods")
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given every path of the API definition, when it is called with each method it does not serve, then 405 method_not_allowed with Allow listing exactly the methods it serves (GET also HEAD)", async () => {
    const paths = declared()
    expect(paths.size).toBeGreaterThan(10)
    for (const template of paths.keys()) {
      const path = template
        .replace(":slug", slug)
        .replace(":webhookId", "whk_0000")
        .replace(":secret", "whsec_0000")
        .replace(":id", "whk_0000")
      // A concrete path may match more than its own template (`/api/tenants/slug-availability`
      // is also a `/api/tenants/:slug`): it serves what every template it matches declares.
      const serves = new Set(
        [...paths]
          .filter(([other]) => new RegExp(`^${other.replace(/:\w+/g, "[^/]+")}$`).test(path))
          .flatMap(([, methods]) => [...methods])
      )
      const expected = new Set(serves.has("GET") ? [...serves, "HEAD"] : serves)
      for (const method of methods.filter((method) => !serves.has(method))) {
        const reply = await call(server, method, path, owner)
        expect(reply.status, `${method} ${template}`).toBe(405)
        expect(reply.body, `${method} ${template}`).toEqual({
          error: "method_not_allowed",
          message: expect.any(String)
        })
        expect(allowed(reply.allow), `${method} ${template}`).toEqual(expected)
        expect(reply.contentType).toContain("application/json")
        expect(reply.requestId).toMatch(/^[A-Za-z0-9._:-]+$/)
      }
    }
  })

  it("given the pages served beside the API, when they are called with another method, then 405 with Allow: GET, HEAD; and HEAD on a GET path is served, not refused", async () => {
    for (const path of ["/openapi.json", "/docs", "/healthz"]) {
      const reply = await call(server, "POST", path)
      expect(reply.status, path).toBe(405)
      expect(allowed(reply.allow), path).toEqual(new Set(["GET", "HEAD"]))
    }
    expect((await call(server, "HEAD", "/healthz")).status).toBe(200)
    expect((await call(server, "HEAD", `/api/tenants/${slug}`, owner)).status).toBe(200)
  })

  it("given a receiver URL, when it is called with another method than POST, then 405 with Allow: POST, and neither the secret nor the path is echoed", async () => {
    const secret = "whsec_NeverEchoedNeverEchoedNeverEchoed0000000"
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      const reply = await call(server, method, `/api/webhooks/cache-refresh/whk_abc123/${secret}`)
      expect(reply.status, method).toBe(405)
      expect(reply.allow).toBe("POST")
      expect(reply.text).not.toContain(secret)
      expect(reply.text).not.toContain("whk_abc123")
      const site = await call(server, method, `/api/tenants/${slug}/webhook?secret=${secret}`)
      expect(site.status, method).toBe(405)
      expect(site.allow).toBe("POST")
      expect(site.text).not.toContain(secret)
    }
  })

  it("given paths no endpoint serves, when they are called with any method, then 404 not_found as before, and under /api/webhooks/ without echoing the path", async () => {
    for (const method of ["GET", "POST", "DELETE"]) {
      for (const path of ["/api/no/such/route", `/api/tenants/${slug}/nope`, "/nope"]) {
        const reply = await call(server, method, path, owner)
        expect(reply.status, `${method} ${path}`).toBe(404)
        expect(reply.allow).toBeNull()
        expect(reply.body.error).toBe("not_found")
      }
      const hidden = await call(server, method, "/api/webhooks/cache-refresh/whk_abc/whsec_hidden/extra")
      expect(hidden.status).toBe(404)
      expect(hidden.body).toEqual({ error: "not_found", message: "No such webhook" })
    }
  })
})
