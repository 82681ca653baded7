import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseTargets } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/** A change a tenant's editor can make, each appending to one of its streams. */
const command = fc.oneof(
  fc.record({ kind: fc.constant("ttl" as const), cacheTTL: fc.integer({ min: 0, max: 86_400 }) }),
  fc.record({ kind: fc.constant("siteProxy" as const), siteProxy: fc.boolean() }),
  fc.record({ kind: fc.constant("bump" as const), type: fc.constantFrom("api", "assets", "html", "all") }),
  fc.record({ kind: fc.constant("apiConfig" as const), apiCacheTTL: fc.integer({ min: 1, max: 3_600 }) })
)
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never

let users = 0

describe.each(databaseTargets)("Time travel: GET /api/tenants/{slug}?asOf= ($name)", (target) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(target)
  })
  afterAll(async () => {
    await server?.close()
  })

  const run = async (slug: string, token: string, change: Command) => {
    const path = `/api/tenants/${slug}`
    const reply =
      change.kind === "ttl"
        ? await request(server, "PUT", path, { token, body: { cacheTTL: change.cacheTTL } })
        : change.kind === "siteProxy"
          ? await request(server, "PUT", path, { token, body: { siteProxy: change.siteProxy } })
          : change.kind === "bump"
            ? await request(server, "POST", `${path}/refresh-cache`, { token, body: { type: change.type } })
            : await request(server, "PUT", `${path}/api-config`, {
                token,
                body: {
                  apiOrigin: "https://api.example.com",
                  apiAuthMode: "none",
                  apiCacheTTL: change.apiCacheTTL
                }
              })
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  }

  /** The tenant now, and the newest of its events (its id and time). */
  const recorded = async (slug: string, token: string) => {
    const now = await request(server, "GET", `/api/tenants/${slug}`, { token })
    const newest = await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=1`, { token })
    return {
      value: now.body,
      id: newest.body.events[0].id as number,
      at: newest.body.events[0].occurredAt as string
    }
  }

  it("given arbitrary command sequences, then asOf each event id, and asOf each event's time, answers the state recorded right after it, with asOf echoed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 6 }), async (commands) => {
        const owner = await server.token(`user_asof_${users++}`)
        const slug = await createGenericTenant(server, owner, "asof")
        const points = [await recorded(slug, owner)]
        for (const change of commands) {
          await run(slug, owner, change)
          points.push(await recorded(slug, owner))
        }
        for (const point of points) {
          const byId = await request(server, "GET", `/api/tenants/${slug}?asOf=${point.id}`, { token: owner })
          expect(byId.status).toBe(200)
          expect(byId.body).toEqual({ ...point.value, asOf: point.id })
        }
        // By time: each event's own instant, when no later event shares it.
        for (const [i, point] of points.entries()) {
          if (points[i + 1]?.at === point.at) continue
          const byTime = await request(
            server,
            "GET",
            `/api/tenants/${slug}?asOf=${encodeURIComponent(point.at)}`,
            {
              token: owner
            }
          )
          expect(byTime.status).toBe(200)
          expect(byTime.body).toEqual({ ...point.value, asOf: point.at })
        }
      }),
      { numRuns: 6 }
    )
  })

  it("given a time before the tenant existed, then 404 not_found; given an id before its creation, 404; given a bad asOf, 400 validation_failed naming asOf", async () => {
    const owner = await server.token(`user_asof_${users++}`)
    const other = await createGenericTenant(server, owner, "asof-before")
    const earlier = await request(server, "GET", `/api/tenants/${other}/audit-events?limit=1`, {
      token: owner
    })
    const slug = await createGenericTenant(server, owner, "asof")
    const path = `/api/tenants/${slug}`
    const ancient = await request(server, "GET", `${path}?asOf=2001-01-01T00:00:00Z`, { token: owner })
    expect(ancient.status).toBe(404)
    expect(ancient.body.error).toBe("not_found")
    const byOlderId = await request(server, "GET", `${path}?asOf=${earlier.body.events[0].id}`, {
      token: owner
    })
    expect(byOlderId.status).toBe(404)
    for (const bad of ["yesterday", "12abc", "2026-13-45", "-1", "999999999", ""]) {
      const reply = await request(server, "GET", `${path}?asOf=${encodeURIComponent(bad)}`, { token: owner })
      expect(reply.status, bad).toBe(400)
      expect(reply.body.error, bad).toBe("validation_failed")
      expect(Object.keys(reply.body.errors), bad).toEqual(["asOf"])
    }
  })
})
