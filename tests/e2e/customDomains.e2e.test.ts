import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Kv } from "../../application/ports/Kv.ts"
import { databaseTargets } from "../support/databases.ts"
import { startDnsServer, type TestDnsServer } from "../support/dnsServer.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { redisUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * Custom domains over HTTP, against a real DNS server on loopback whose records each test
 * sets (CONTRACT "Custom domains"): the lifecycle (add → pending with the records to create
 * → TXT → verify → misconfigured with the reason → CNAME → active → CNAME moved → the
 * background re-check makes it misconfigured and removes host: → fixed → active), apex
 * names by A/AAAA within EDGE_IPS, a DNS server that fails or never answers, expiry, the
 * claim across tenants, and the edge KV following all of it, on both storage stacks.
 */

const proxyBaseDomain = "cachely.io"
const edgeV4 = "203.0.113.10"
const edgeV6 = "2001:db8::10"
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
const eventually = async <A>(read: () => Promise<A>, check: (value: A) => boolean, millis = 15_000) => {
  const until = Date.now() + millis
  let value = await read()
  while (!check(value) && Date.now() < until) {
    await sleep(50)
    value = await read()
  }
  return value
}

let hostCounter = 0
const uniqueHost = (label: string) =>
  `${label}-${Date.now().toString(36)}${(hostCounter++).toString(36)}.example.com`

for (const target of databaseTargets) {
  const kvEnv = target.name === "postgres" && redisUrl !== undefined ? { REDIS_URL: redisUrl } : {}
  describe(`Custom domains over HTTP with DNS on loopback (${target.name})`, () => {
    let dns: TestDnsServer
    let server: TestServer
    let owner: string
    let other: string
    beforeAll(async () => {
      dns = await startDnsServer()
      server = await startTestServer(target, {
        ...kvEnv,
        DNS_SERVERS: dns.address,
        PROXY_BASE_DOMAIN: proxyBaseDomain,
        PLANS: JSON.stringify({ free: { maxTenants: 50, maxDomains: 3 } }),
        EDGE_IPS: `${edgeV4},${edgeV6}`,
        DOMAIN_CHECK_SCHEDULE: "1",
        DOMAIN_ACTIVE_RECHECK_SECONDS: "1"
      })
      owner = await server.token("user_domain_owner")
      other = await server.token("user_domain_other")
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await dns?.close()
    })

    const kvGet = (key: string) =>
      server
        .run(Effect.flatMap(Kv, (kv) => kv.get(key)))
        .then((value) => (value === undefined ? undefined : JSON.parse(value)))
    const domainsOf = async (slug: string, token = owner) =>
      (await request(server, "GET", `/api/tenants/${slug}/domains`, { token })).body.domains as Array<{
        hostname: string
        status: string
        reasons: Array<string>
        lastCheckedAt: string | null
        nextCheckAt: string | null
      }>
    const statusOf = async (slug: string, hostname: string) =>
      (await domainsOf(slug)).find((domain) => domain.hostname === hostname)
    const verify = (slug: string, hostname: string, token = owner) =>
      request(server, "POST", `/api/tenants/${slug}/domains/verify`, { token, body: { hostname } })
    const add = (slug: string, hostname: string, token = owner) =>
      request(server, "POST", `/api/tenants/${slug}/domains`, { token, body: { hostname } })

    it("the lifecycle: add → pending with the two records → TXT → misconfigured with the reason → CNAME → active and routed → CNAME moved → the background re-check makes it misconfigured and unroutes it → fixed → active again", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("shop")
      const created = await add(slug, `${hostname.toUpperCase()}.`)
      expect(created.status).toBe(201)
      const token = created.body.verification.ownership.value as string
      expect(created.body).toMatchObject({
        hostname,
        status: "pending",
        verification: {
          ownership: { type: "TXT", name: `_cachely-challenge.${hostname}` },
          routing: [
            { type: "CNAME", name: hostname, value: `${slug}.${proxyBaseDomain}` },
            { type: "A", name: hostname, values: [edgeV4] },
            { type: "AAAA", name: hostname, values: [edgeV6] }
          ]
        },
        verifiedAt: null,
        activatedAt: null
      })
      expect(token).toMatch(/^cachely-verify=[0-9a-z]{10,}$/)
      expect(created.body.id).toMatch(/^dom_/)
      const value = (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value
      expect(value.domains).toEqual([{ hostname, status: "pending" }])

      // Given the TXT record, when verified: ownership proven, routing missing.
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [token])
      const misconfigured = await verify(slug, hostname)
      expect(misconfigured.status).toBe(200)
      expect(misconfigured.body.domain.status).toBe("misconfigured")
      expect(misconfigured.body.domain.verifiedAt).not.toBeNull()
      expect(misconfigured.body.checks.ownership).toEqual({ ok: true, expected: token, found: [token] })
      expect(misconfigured.body.checks.routing.ok).toBe(false)
      expect(misconfigured.body.domain.reasons.join(" ")).toContain(
        `${hostname} has no CNAME, A or AAAA record`
      )

      // Given the CNAME, when verified: active, routed by the edge.
      dns.set(hostname, "CNAME", [`${slug.toUpperCase()}.${proxyBaseDomain}.`])
      const active = await verify(slug, hostname)
      expect(active.body.domain).toMatchObject({ status: "active", reasons: [] })
      expect(active.body.checks.routing).toMatchObject({ ok: true, found: [`${slug}.${proxyBaseDomain}`] })
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v !== undefined
        )
      ).toEqual({ slug })
      const snapshot = await eventually(
        () => kvGet(`proxy:${slug}`),
        (v) => v?.customDomains?.length === 1
      )
      expect(snapshot).toMatchObject({ customDomains: [hostname], publicOrigin: `https://${hostname}` })
      const tenant = (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value
      expect(tenant).toMatchObject({
        domains: [{ hostname, status: "active" }],
        publicOrigin: `https://${hostname}`
      })

      // When the CNAME moves away, the background re-check (two misses in a row) unroutes it.
      dns.set(hostname, "CNAME", ["old.example.net"])
      const moved = await eventually(
        () => statusOf(slug, hostname),
        (domain) => domain?.status === "misconfigured",
        20_000
      )
      expect(moved?.status).toBe("misconfigured")
      expect(moved?.reasons).toContain(
        `routing: CNAME ${hostname} points to old.example.net, expected ${slug}.${proxyBaseDomain}`
      )
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v === undefined
        )
      ).toBeUndefined()
      expect((await kvGet(`proxy:${slug}`)).customDomains).toEqual([])
      const audit = (
        await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=50`, { token: owner })
      ).body.events as Array<{ type: string; actor: { type: string } }>
      expect(audit.find((event) => event.type === "CustomDomainMisconfigured")?.actor.type).toBe("system")

      // Fixed: the background brings it back.
      dns.set(hostname, "CNAME", [`${slug}.${proxyBaseDomain}`])
      expect(
        (
          await eventually(
            () => statusOf(slug, hostname),
            (d) => d?.status === "active",
            20_000
          )
        )?.status
      ).toBe("active")
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v !== undefined
        )
      ).toEqual({ slug })
      const again = await statusOf(slug, hostname)
      expect(again?.lastCheckedAt).not.toBeNull()
      expect(again?.nextCheckAt).not.toBeNull()
      // Only transitions are events: a week of unchanged checks would add nothing.
      const types = (
        (await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })).body
          .events as Array<{ type: string }>
      )
        .map((event) => event.type)
        .filter((type) => type.startsWith("CustomDomain"))
        .reverse()
      expect(types).toEqual([
        "CustomDomainAdded",
        "CustomDomainOwnershipVerified",
        "CustomDomainMisconfigured",
        "CustomDomainActivated",
        "CustomDomainMisconfigured",
        "CustomDomainActivated"
      ])
    }, 60_000)

    it("given the records already in DNS, then a new domain becomes active without any verify call (the scheduler)", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("auto")
      dns.set(hostname, "CNAME", [`${slug}.${proxyBaseDomain}`])
      const created = await add(slug, hostname)
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [created.body.verification.ownership.value])
      expect(
        (
          await eventually(
            () => statusOf(slug, hostname),
            (d) => d?.status === "active",
            20_000
          )
        )?.status
      ).toBe("active")
    }, 30_000)

    it("an apex name routes by A/AAAA records all within EDGE_IPS; one address outside is misconfigured with the address named", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const apex = `apex${Date.now().toString(36)}.test`
      const created = await add(slug, apex)
      dns.set(`_cachely-challenge.${apex}`, "TXT", [created.body.verification.ownership.value])
      dns.set(apex, "A", [edgeV4, "198.51.100.7"])
      const outside = await verify(slug, apex)
      expect(outside.body.domain.status).toBe("misconfigured")
      expect(outside.body.domain.reasons.join(" ")).toContain("198.51.100.7")
      dns.set(apex, "A", [edgeV4])
      dns.set(apex, "AAAA", [edgeV6])
      const inside = await verify(slug, apex)
      expect(inside.body.domain.status).toBe("active")
      expect([...inside.body.checks.routing.found].sort()).toEqual([edgeV6, edgeV4].sort())
    })

    it("a DNS server answering SERVFAIL or never answering: the status is kept, reasons say DNS could not be asked, never a 5xx", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("flaky")
      await add(slug, hostname)
      dns.mode("servfail")
      try {
        const failed = await verify(slug, hostname)
        expect(failed.status).toBe(200)
        expect(failed.body.domain.status).toBe("pending")
        expect(failed.body.domain.reasons.join(" ")).toContain("could not ask DNS")
        dns.mode("silent")
        const started = Date.now()
        const silent = await verify(slug, hostname)
        expect(silent.status).toBe(200)
        expect(silent.body.domain.status).toBe("pending")
        expect(silent.body.domain.reasons.join(" ")).toContain("did not answer in time")
        expect(Date.now() - started).toBeLessThan(8_000)
      } finally {
        dns.mode("answer")
      }
    }, 30_000)

    it("a CAA record that does not allow ACME_CA_DOMAIN is warned about", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const parent = `caa${Date.now().toString(36)}.test`
      const hostname = `www.${parent}`
      await add(slug, hostname)
      dns.set(parent, "CAA", ["issue pki.goog"])
      const checked = await verify(slug, hostname)
      expect(checked.body.domain.reasons.join(" ")).toContain(
        `CAA at ${parent} allows only pki.goog, not letsencrypt.org`
      )
    })

    it("refusals: an invalid hostname is 400 errors.hostname; one any live tenant holds is 409 already_exists (also when two tenants race); beyond maxDomains 403 plan_limit; unknown 404; DELETE by body or ?hostname=", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      for (const bad of [
        "localhost",
        "1.2.3.4",
        "*.example.com",
        `x.${proxyBaseDomain}`,
        "no_underscores.example.com",
        "com"
      ]) {
        const refused = await add(slug, bad)
        expect(refused.status, bad).toBe(400)
        expect(refused.body.error).toBe("validation_failed")
        expect(refused.body.errors.hostname).toHaveLength(1)
      }
      const theirs = await createGenericTenant(server, other, "dom")
      const hostname = uniqueHost("claim")
      const racers = await Promise.all([add(slug, hostname), add(theirs, hostname, other)])
      expect(racers.map((reply) => reply.status).sort()).toEqual([201, 409])
      expect(racers.find((reply) => reply.status === 409)?.body.error).toBe("already_exists")
      expect((await add(slug, hostname)).status).toBe(409)

      const limited = await createGenericTenant(server, owner, "dom")
      for (let i = 0; i < 3; i++) expect((await add(limited, uniqueHost("plan"))).status).toBe(201)
      const beyond = await add(limited, uniqueHost("plan"))
      expect(beyond.status).toBe(403)
      expect(beyond.body).toMatchObject({ error: "plan_limit", maxDomains: 3 })

      expect((await verify(slug, uniqueHost("unknown"))).status).toBe(404)
      const first = (await domainsOf(limited))[0]!.hostname
      const byQuery = await request(server, "DELETE", `/api/tenants/${limited}/domains?hostname=${first}`, {
        token: owner
      })
      expect(byQuery).toMatchObject({ status: 200, body: { ok: true } })
      const second = (await domainsOf(limited))[0]!.hostname
      const byBody = await request(server, "DELETE", `/api/tenants/${limited}/domains`, {
        token: owner,
        body: { hostname: second }
      })
      expect(byBody).toMatchObject({ status: 200, body: { ok: true } })
      expect((await domainsOf(limited)).map((domain) => domain.hostname)).not.toContain(second)
      expect(
        (
          await request(server, "DELETE", `/api/tenants/${limited}/domains?hostname=${second}`, {
            token: owner
          })
        ).status
      ).toBe(404)
      expect(
        (await request(server, "DELETE", `/api/tenants/${limited}/domains`, { token: owner })).status
      ).toBe(400)
    }, 30_000)

    it("verify calls are rate-limited per domain: 429 with Retry-After", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("limit")
      await add(slug, hostname)
      const statuses: Array<number> = []
      let retryAfter: string | null = null
      for (let i = 0; i < 7; i++) {
        const response = await fetch(`${server.baseUrl}/api/tenants/${slug}/domains/verify`, {
          method: "POST",
          headers: { authorization: `Bearer ${owner}`, "content-type": "application/json" },
          body: JSON.stringify({ hostname })
        })
        statuses.push(response.status)
        if (response.status === 429) {
          retryAfter = response.headers.get("retry-after")
          expect(((await response.json()) as { error: string }).error).toBe("rate_limited")
        } else await response.text()
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
      expect(statuses.slice(5)).toEqual([429, 429])
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    })

    it("removing an active domain unroutes it at once: host: goes and proxy:{slug} lists it no more", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("gone")
      const created = await add(slug, hostname)
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [created.body.verification.ownership.value])
      dns.set(hostname, "CNAME", [`${slug}.${proxyBaseDomain}`])
      expect((await verify(slug, hostname)).body.domain.status).toBe("active")
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v !== undefined
        )
      ).toEqual({ slug })
      const removed = await request(server, "DELETE", `/api/tenants/${slug}/domains`, {
        token: owner,
        body: { hostname }
      })
      expect(removed).toMatchObject({ status: 200, body: { ok: true } })
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v === undefined
        )
      ).toBeUndefined()
      const snapshot = await eventually(
        () => kvGet(`proxy:${slug}`),
        (v) => v?.customDomains?.length === 0
      )
      expect(snapshot).toMatchObject({ customDomains: [], publicOrigin: null })
      expect(await domainsOf(slug)).toEqual([])
    })

    it("deleting a tenant releases its hostnames: host: goes, and another tenant may add the name", async () => {
      const slug = await createGenericTenant(server, owner, "dom")
      const hostname = uniqueHost("release")
      const created = await add(slug, hostname)
      dns.set(`_cachely-challenge.${hostname}`, "TXT", [created.body.verification.ownership.value])
      dns.set(hostname, "CNAME", [`${slug}.${proxyBaseDomain}`])
      expect((await verify(slug, hostname)).body.domain.status).toBe("active")
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v !== undefined
        )
      ).toEqual({ slug })
      expect((await request(server, "DELETE", `/api/tenants/${slug}`, { token: owner })).status).toBe(200)
      expect(
        await eventually(
          () => kvGet(`host:${hostname}`),
          (v) => v === undefined
        )
      ).toBeUndefined()
      const theirs = await createGenericTenant(server, other, "dom")
      expect((await add(theirs, hostname, other)).status).toBe(201)
    })
  })

  describe(`Custom domain expiry (${target.name})`, () => {
    let dns: TestDnsServer
    let server: TestServer
    beforeAll(async () => {
      dns = await startDnsServer()
      server = await startTestServer(target, {
        ...kvEnv,
        DNS_SERVERS: dns.address,
        PROXY_BASE_DOMAIN: proxyBaseDomain,
        DOMAIN_CHECK_SCHEDULE: "1",
        // About two seconds.
        DOMAIN_PENDING_TTL_HOURS: "0.0006"
      })
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await dns?.close()
    })

    it("a domain pending longer than DOMAIN_PENDING_TTL_HOURS expires (background checks stop); a verify call brings it back to pending", async () => {
      const owner = await server.token("user_expiry")
      const slug = await createGenericTenant(server, owner, "exp")
      const hostname = uniqueHost("late")
      expect(
        (await request(server, "POST", `/api/tenants/${slug}/domains`, { token: owner, body: { hostname } }))
          .status
      ).toBe(201)
      const list = () =>
        request(server, "GET", `/api/tenants/${slug}/domains`, { token: owner }).then(
          (reply) => reply.body.domains[0]
        )
      const expired = await eventually(
        list,
        (domain) => domain.status === "expired" && domain.nextCheckAt === null,
        20_000
      )
      expect(expired).toMatchObject({ status: "expired", nextCheckAt: null })
      const reopened = await request(server, "POST", `/api/tenants/${slug}/domains/verify`, {
        token: owner,
        body: { hostname }
      })
      expect(reopened.body.domain.status).toBe("pending")
      expect(reopened.body.domain.nextCheckAt).not.toBeNull()
    }, 40_000)
  })
}
