import { readFile } from "node:fs/promises"
import { join } from "node:path"
import AjvModule from "ajv"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseTargets } from "../support/databases.ts"
import { startDnsServer, type TestDnsServer } from "../support/dnsServer.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

// CommonJS: the class is the module's `default`.
const { default: Ajv } = AjvModule

/**
 * `GET /api/config/traefik` (seed 002): Traefik v3 HTTP-provider dynamic configuration, valid
 * by our schema written from Traefik's reference (tests/fixtures/traefik/): a router per live
 * tenant's preview host and per active custom domain, all to the edges; loopback clients or a
 * bearer INTERNAL_API_TOKEN only.
 */

const proxyBaseDomain = "cachely.io"
const internalToken = "internal-token-for-tests-0123456789"

const schemaPath = join(import.meta.dirname, "../fixtures/traefik/dynamic-http.schema.json")

for (const target of databaseTargets) {
  describe(`The Traefik routing export (${target.name})`, () => {
    let dns: TestDnsServer
    let server: TestServer
    let validate: (value: unknown) => boolean
    let validationErrors: () => unknown
    beforeAll(async () => {
      dns = await startDnsServer()
      server = await startTestServer(target, {
        DNS_SERVERS: dns.address,
        PROXY_BASE_DOMAIN: proxyBaseDomain,
        EDGE_UPSTREAMS: "http://10.0.0.1:8787,http://10.0.0.2:8787",
        TRAEFIK_CERT_RESOLVER: "letsencrypt",
        INTERNAL_API_TOKEN: internalToken,
        // The forwarded client decides who is asking (as behind a load balancer).
        TRUST_PROXY: "1"
      })
      const ajv = new Ajv({ strict: true, allErrors: true })
      const compiled = ajv.compile(JSON.parse(await readFile(schemaPath, "utf8")))
      validate = (value) => compiled(value)
      validationErrors = () => compiled.errors
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await dns?.close()
    })

    const traefik = (headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}/api/config/traefik`, { headers }).then(async (response) => ({
        status: response.status,
        // biome-ignore lint/suspicious/noExplicitAny: read field by field
        body: (await response.json()) as any
      }))

    it("given live tenants and an active custom domain, then one router each, Host rules, tls.certResolver on the custom domain's, one service on EDGE_UPSTREAMS, valid by the Traefik v3 schema", async () => {
      const owner = await server.token("user_traefik")
      const slug = await createGenericTenant(server, owner, "trf")
      const hostname = `www.traefik${Date.now().toString(36)}.example.com`
      const added = await request(server, "POST", `/api/tenants/${slug}/domains`, {
        token: owner,
        body: { hostname }
      })
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [added.body.verification.ownership.value])
      dns.set(hostname, "CNAME", [`${slug}.${proxyBaseDomain}`])
      const verified = await request(server, "POST", `/api/tenants/${slug}/domains/verify`, {
        token: owner,
        body: { hostname }
      })
      expect(verified.body.domain.status).toBe("active")
      const pending = `pending${Date.now().toString(36)}.example.com`
      await request(server, "POST", `/api/tenants/${slug}/domains`, {
        token: owner,
        body: { hostname: pending }
      })

      const config = await traefik()
      expect(config.status).toBe(200)
      expect(validate(config.body), JSON.stringify(validationErrors())).toBe(true)
      const routers = config.body.http.routers
      expect(routers[`tenant-${slug}`]).toEqual({
        rule: `Host(\`${slug}.${proxyBaseDomain}\`)`,
        service: "tenantry-edge"
      })
      expect(routers[`domain-${hostname.replaceAll(".", "_")}`]).toEqual({
        rule: `Host(\`${hostname}\`)`,
        service: "tenantry-edge",
        tls: { certResolver: "letsencrypt" }
      })
      expect(JSON.stringify(routers)).not.toContain(pending)
      expect(config.body.http.services).toEqual({
        "tenantry-edge": {
          loadBalancer: {
            servers: [{ url: "http://10.0.0.1:8787" }, { url: "http://10.0.0.2:8787" }],
            passHostHeader: true
          }
        }
      })
    })

    it("the schema is not vacuous: a router without a rule, or a misspelt key, is invalid", () => {
      const base = { rule: "Host(`a.example.com`)", service: "s" }
      const services = { s: { loadBalancer: { servers: [{ url: "http://127.0.0.1:8787" }] } } }
      expect(validate({ http: { routers: { r: base }, services } })).toBe(true)
      expect(validate({ http: { routers: { r: { service: "s" } }, services } })).toBe(false)
      expect(validate({ http: { routers: { r: { ...base, tls: { certresolver: "x" } } }, services } })).toBe(
        false
      )
      expect(validate({ http: { routers: {}, services: { s: { loadBalancer: { servers: [] } } } } })).toBe(
        false
      )
    })

    it("only loopback clients or the bearer INTERNAL_API_TOKEN: anyone else is 403", async () => {
      expect((await traefik()).status).toBe(200)
      const outside = { "x-forwarded-for": "203.0.113.5" }
      const refused = await traefik(outside)
      expect(refused.status).toBe(403)
      expect(refused.body.error).toBe("forbidden")
      expect((await traefik({ ...outside, authorization: "Bearer wrong-token" })).status).toBe(403)
      expect((await traefik({ ...outside, authorization: `Bearer ${internalToken}` })).status).toBe(200)
    })
  })
}
