import { Validator } from "@seriousme/openapi-schema-validator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Api } from "../../adapters/http/api/Api.ts"
import { pglite } from "../support/databases.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/** Every (method, OpenAPI path) the API definition declares. */
const declaredRoutes = () =>
  Object.values(Api.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({
      method: endpoint.method.toLowerCase(),
      path: endpoint.path.replace(/:(\w+)/g, "{$1}")
    }))
  )

describe("OpenAPI document and docs page", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(pglite)
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given GET /openapi.json, then it is a valid OpenAPI 3.1 document by a real validator", async () => {
    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as Record<string, unknown>
    expect(document.openapi).toMatch(/^3\.1\./)
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it("given the document, then it describes every route of the API definition with its errors", async () => {
    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
    }
    const routes = declaredRoutes()
    expect(routes.length).toBeGreaterThan(15)
    for (const { method, path } of routes) {
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
    // the seed's tenant lifecycle, path for path
    const lifecycle: ReadonlyArray<[string, string]> = [
      ["get", "/api/tenants"],
      ["post", "/api/tenants"],
      ["get", "/api/tenants/slug-availability"],
      ["get", "/api/tenants/{slug}"],
      ["put", "/api/tenants/{slug}"],
      ["delete", "/api/tenants/{slug}"],
      ["post", "/api/tenants/{slug}/refresh-cache"],
      ["post", "/api/tenants/{slug}/edge-config"],
      ["get", "/api/tenants/{slug}/audit-events"],
      ["put", "/api/tenants/{slug}/api-config"],
      ["put", "/api/tenants/{slug}/api-token"]
    ]
    for (const [method, path] of lifecycle) {
      expect(routes, `${method} ${path} in the API definition`).toContainEqual({ method, path })
      expect(document.paths[path]?.[method], `${method} ${path}`).toBeDefined()
    }
    // and nothing in the document that the definition does not declare
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => ["get", "put", "post", "delete", "patch", "head", "options"].includes(key))
        .map((method) => ({ method, path }))
    )
    expect(documented).toHaveLength(routes.length)
    expect(Object.keys(document.paths["/api/tenants"]!.post!.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "403", "409"])
    )
    expect(Object.keys(document.paths["/api/tenants/{slug}"]!.get!.responses)).toEqual(
      expect.arrayContaining(["200", "401", "403", "404"])
    )
  })

  it("given GET /docs, then an HTML page that loads the document", async () => {
    const page = await fetch(`${server.baseUrl}/docs`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    expect(await page.text()).toContain("<html")
  })
})
