import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import { databaseTargets } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { logRecord } from "../support/requestLogs.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

const edgeToken = "edge-token-for-reading"
const minute = 60_000

/** Ships records through the ingestion endpoint, as an edge would. */
const ship = async (server: TestServer, records: ReadonlyArray<RequestLogRecord>) => {
  const response = await fetch(`${server.baseUrl}/api/edge/logs`, {
    method: "POST",
    headers: { authorization: `Bearer ${edgeToken}`, "content-type": "application/x-ndjson" },
    body: records.map((record) => JSON.stringify(record)).join("\n")
  })
  expect(response.status).toBe(200)
  const answer = (await response.json()) as { accepted: number }
  expect(answer.accepted).toBe(records.length)
}

const newestFirst = (a: RequestLogRecord, b: RequestLogRecord) =>
  a.ts === b.ts ? (a.id < b.id ? 1 : -1) : a.ts < b.ts ? 1 : -1

const withoutTenantId = ({ tenantId: _, ...rest }: RequestLogRecord) => rest

for (const target of databaseTargets) {
  describe(`GET /api/tenants/{slug}/logs (${target.name})`, () => {
    let server: TestServer
    let owner: string
    let slug: string
    let records: Array<RequestLogRecord>

    /** Every page of the query, following nextCursor: the records, and each page's size. */
    const walk = async (query: string) => {
      const seen: Array<unknown> = []
      const sizes: Array<number> = []
      let cursor: string | null = null
      for (let guard = 0; guard < 100; guard++) {
        const path: string = `/api/tenants/${slug}/logs?${query}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
        const page = await request(server, "GET", path, { token: owner })
        expect(page.status, JSON.stringify(page.body)).toBe(200)
        seen.push(...page.body.logs)
        sizes.push(page.body.logs.length)
        expect(page.body.hasMore).toBe(page.body.nextCursor !== null)
        if (!page.body.hasMore) return { seen, sizes }
        cursor = page.body.nextCursor
      }
      throw new Error("the cursor never ended")
    }

    beforeAll(async () => {
      server = await startTestServer(target, { EDGE_TOKENS: edgeToken })
      owner = await server.token("user_logs_reader")
      slug = await createGenericTenant(server, owner, "reader")
      const other = await createGenericTenant(server, owner, "other")
      const ids = await Promise.all(
        [slug, other].map(
          async (s) =>
            (await request(server, "GET", `/api/tenants/${s}`, { token: owner })).body.value.tenantId
        )
      )
      const base = Date.now() - 60 * minute
      const kinds = [
        { method: "GET", path: "/", status: 200, cache: "HIT", surface: "site" },
        { method: "GET", path: "/blog/a", status: 404, cache: "MISS", surface: "site" },
        { method: "POST", path: "/~api/graphql", status: 502, cache: "BYPASS", surface: "api" },
        {
          method: "GET",
          path: "/~assets/images.ctfassets.net/x.png",
          status: 304,
          cache: "HIT",
          surface: "assets"
        },
        { method: "HEAD", path: "/blog", status: 503, cache: "MISS", surface: "site" }
      ] as const
      records = Array.from({ length: 23 }, (_, i) =>
        logRecord({
          ...kinds[i % kinds.length]!,
          tenantId: ids[0],
          slug,
          host: `${slug}.cachely.localhost`,
          // Two records share each instant: the id breaks the tie.
          ts: new Date(base + Math.floor(i / 2) * minute).toISOString(),
          id: `rec-${String(i).padStart(2, "0")}`,
          originMs: kinds[i % kinds.length]!.cache === "HIT" ? null : 20
        })
      )
      const theirs = logRecord({ tenantId: ids[1], slug: other, id: "theirs-1" })
      await ship(server, [...records, theirs])
    })
    afterAll(() => server?.close())

    it("given a tenant's records, when paged 5 at a time, then they come newest first (ts, then id), each once, without tenantId, and another tenant's never", async () => {
      const { seen, sizes } = await walk("limit=5")
      expect(seen).toEqual([...records].sort(newestFirst).map(withoutTenantId))
      expect(sizes).toEqual([5, 5, 5, 5, 3])
    })

    it("given no limit, then a page holds at most 50", async () => {
      const page = await request(server, "GET", `/api/tenants/${slug}/logs`, { token: owner })
      expect(page.body.logs).toHaveLength(23)
      expect(page.body).toMatchObject({ nextCursor: null, hasMore: false })
    })

    it("given each filter (status code or class, cache, surface, method, path prefix, from/to), then only matching records come, across pages", async () => {
      const sorted = [...records].sort(newestFirst)
      const from = sorted[15]!.ts
      const to = sorted[4]!.ts
      const cases: ReadonlyArray<readonly [string, (r: RequestLogRecord) => boolean]> = [
        ["status=404", (r) => r.status === 404],
        ["status=5xx", (r) => r.status >= 500],
        ["cache=MISS", (r) => r.cache === "MISS"],
        ["surface=api", (r) => r.surface === "api"],
        ["method=head", (r) => r.method === "HEAD"],
        [`path=${encodeURIComponent("/blog")}`, (r) => r.path.startsWith("/blog")],
        [`from=${from}&to=${to}`, (r) => r.ts >= from && r.ts <= to],
        ["status=5xx&surface=site", (r) => r.status >= 500 && r.surface === "site"]
      ]
      for (const [query, keep] of cases) {
        const { seen } = await walk(`limit=3&${query}`)
        expect(seen, query).toEqual(sorted.filter(keep).map(withoutTenantId))
      }
    })

    it("given an invalid query field, then 400 validation_failed naming that field", async () => {
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["limit=0", "limit"],
        ["limit=201", "limit"],
        ["limit=ten", "limit"],
        ["status=600", "status"],
        ["status=4XX", "status"],
        ["cache=WARM", "cache"],
        ["surface=cdn", "surface"],
        ["method=G3T", "method"],
        ["path=blog", "path"],
        ["from=yesterday", "from"],
        ["to=2026-02-30T00:00:00Z", "to"],
        ["from=2026-12-05&to=2026-12-01", "from"],
        ["cursor=not-a-cursor", "cursor"],
        [`cursor=${Buffer.from('["2026-12-05T00:00:00.000Z","a b"]').toString("base64url")}`, "cursor"]
      ]
      for (const [query, field] of cases) {
        const reply = await request(server, "GET", `/api/tenants/${slug}/logs?${query}`, { token: owner })
        expect(reply.status, query).toBe(400)
        expect(reply.body.error, query).toBe("validation_failed")
        expect(Object.keys(reply.body.errors), query).toEqual([field])
      }
    })

    it("given a tenant that does not exist, then 404", async () => {
      const reply = await request(server, "GET", "/api/tenants/no-such-tenant-here/logs", { token: owner })
      expect(reply.status).toBe(404)
    })
  })
}
