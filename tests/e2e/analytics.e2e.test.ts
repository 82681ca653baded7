import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  analyticsPeriods,
  dayMillis,
  floorDay,
  hourMillis,
  monthAt,
  previousMonth
} from "../../domain/analytics/index.ts"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { naiveAnalytics, naiveDaily, naiveUsage } from "../support/analyticsModel.ts"
import { databaseTargets } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { logRecord } from "../support/requestLogs.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * Analytics, bandwidth and usage end to end: records of known timestamps shipped through
 * `POST /api/edge/logs` (what an edge does), read back through the four endpoints.
 */

const edgeToken = "edge-token-analytics"

const ship = async (server: TestServer, records: ReadonlyArray<RequestLogRecord>) => {
  const response = await fetch(`${server.baseUrl}/api/edge/logs`, {
    method: "POST",
    headers: { authorization: `Bearer ${edgeToken}`, "content-type": "application/x-ndjson" },
    body: `${records.map((record) => JSON.stringify(record)).join("\n")}\n`
  })
  const body = (await response.json()) as { rejected: number; duplicate: number; errors: unknown }
  expect(response.status).toBe(200)
  expect(body.rejected, JSON.stringify(body.errors)).toBe(0)
  return body
}

for (const target of databaseTargets) {
  describe(`Analytics and usage (${target.name})`, () => {
    let server: TestServer
    let owner: string
    let stranger: string
    let acme: { slug: string; tenantId: TenantId }
    let beta: { slug: string; tenantId: TenantId }
    const shipped: Array<RequestLogRecord> = []
    const now = Date.now()
    const month = monthAt(now)
    const lastMonth = previousMonth(month)

    const tenant = async (prefix: string, token: string) => {
      const slug = await createGenericTenant(server, token, prefix)
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token })
      return { slug, tenantId: read.body.value.tenantId as TenantId }
    }
    const recordOf = (
      of: { slug: string; tenantId: TenantId },
      ts: number,
      fields: Partial<RequestLogRecord> = {}
    ) =>
      logRecord({
        tenantId: of.tenantId,
        slug: of.slug,
        host: `${of.slug}.cachely.localhost`,
        ts: new Date(ts).toISOString(),
        ...fields
      })
    const get = (path: string, token = owner) => request(server, "GET", path, { token })

    beforeAll(async () => {
      server = await startTestServer(target, { EDGE_TOKENS: edgeToken, LOG_RETENTION_DAYS: "70" })
      owner = await server.token("user_analytics_owner")
      stranger = await server.token("user_analytics_stranger")
      acme = await tenant("acme", owner)
      beta = await tenant("beta", owner)
      const records = [
        // The current hour: a HIT and a MISS.
        recordOf(acme, now - 1, {
          path: "/a",
          cache: "HIT",
          status: 200,
          surface: "site",
          bytesOut: 1000,
          bytesFromOrigin: 0,
          durationMs: 3,
          country: "DE"
        }),
        recordOf(acme, now - 2, {
          path: "/b",
          cache: "MISS",
          status: 200,
          surface: "api",
          bytesOut: 3000,
          bytesFromOrigin: 2500,
          durationMs: 120,
          originMs: 110,
          country: "US"
        }),
        recordOf(acme, now - 3, {
          path: "/a",
          cache: "HIT",
          status: 404,
          surface: "site",
          bytesOut: 200,
          bytesFromOrigin: 0,
          durationMs: 2,
          country: "DE"
        }),
        // Two days ago: a bypassed 503 (late: shipped after the newer ones).
        recordOf(acme, now - 2 * dayMillis, {
          path: "/c",
          cache: "BYPASS",
          status: 503,
          surface: "assets",
          bytesOut: 500,
          bytesFromOrigin: 500,
          durationMs: 900,
          originMs: 880,
          country: null
        }),
        // The month boundaries: the previous month's first and last millisecond, this month's first.
        recordOf(acme, lastMonth.start, { path: "/m", bytesOut: 7, bytesFromOrigin: 7 }),
        recordOf(acme, month.start - 1, { path: "/m", bytesOut: 11, bytesFromOrigin: 11 }),
        recordOf(acme, month.start, { path: "/m", bytesOut: 13, bytesFromOrigin: 13 }),
        // The other tenant of the same owner.
        recordOf(beta, now - 5, { bytesOut: 100_000 }),
        recordOf(beta, month.start + 1, { bytesOut: 5 })
      ]
      // In two batches, the older records second; a duplicate in the second is not counted again.
      await ship(server, records.slice(0, 3))
      const second = await ship(server, [...records.slice(3), records[0]!])
      expect(second.duplicate).toBe(1)
      shipped.push(...records)
    })
    afterAll(() => server?.close())

    const acmeRecords = () => shipped.filter((record) => record.tenantId === acme.tenantId)

    it("given records through the edge, when asked for 24h, then the totals are exact: requests, hits and misses, hit ratio, bytes saved, status classes, surfaces, countries", async () => {
      const { status, body } = await get(`/api/tenants/${acme.slug}/analytics?period=24h`)
      expect(status).toBe(200)
      expect(body.period).toBe("24h")
      expect(body.granularity).toBe("hour")
      expect(body.complete).toBe(false)
      expect(body.series).toHaveLength(24)
      // What lies within the window besides the three of the last hour: the month's first millisecond when it is this close.
      const extra = acmeRecords().filter(
        (r) => Date.parse(r.ts) >= Date.parse(body.from) && !["/a", "/b"].includes(r.path)
      )
      expect(body.totals.requests).toBe(3 + extra.length)
      expect(body.totals.cacheHits).toBe(2 + extra.filter((r) => r.cache === "HIT").length)
      expect(body.totals.status["4xx"]).toBe(1)
      if (extra.length === 0) {
        expect(body.totals).toEqual({
          requests: 3,
          cacheHits: 2,
          cacheMisses: 1,
          cacheBypasses: 0,
          hitRatio: 2 / 3,
          bytesOut: 4200,
          bytesFromOrigin: 2500,
          bytesSaved: 1700,
          status: { "2xx": 2, "3xx": 0, "4xx": 1, "5xx": 0 }
        })
        expect(body.surfaces).toEqual({
          site: { requests: 2, bytesOut: 1200 },
          api: { requests: 1, bytesOut: 3000 },
          assets: { requests: 0, bytesOut: 0 }
        })
        expect(body.latency).toEqual({ p50: 5, p95: 250 })
      }
      expect(body.series.at(-1).t).toBe(new Date(Math.floor(now / hourMillis) * hourMillis).toISOString())
      expect(body.topPaths[0]).toEqual({ path: "/a", requests: 2, bytesOut: 1200 })
      expect(body.topCountries[0]).toEqual({ country: "DE", requests: 2 })
    })

    it("given every period, then every figure equals the computation over the shipped records, with zero-filled series", async () => {
      for (const period of analyticsPeriods) {
        const { status, body } = await get(`/api/tenants/${acme.slug}/analytics?period=${period}`)
        expect(status).toBe(200)
        const from = Date.parse(body.from)
        const to = Date.parse(body.to)
        const size = period === "24h" ? hourMillis : dayMillis
        const buckets = body.series.map((point: { t: string }) => Date.parse(point.t))
        expect(buckets).toHaveLength({ "24h": 24, "7d": 7, "30d": 30, "90d": 90 }[period])
        const naive = naiveAnalytics(
          acmeRecords(),
          { from, to, buckets, size },
          { from: floorDay(from), to: floorDay(to - 1) + dayMillis }
        )
        expect({
          ...body,
          period: undefined,
          from: undefined,
          to: undefined,
          granularity: undefined,
          complete: undefined
        }).toEqual({
          ...naive,
          period: undefined,
          from: undefined,
          to: undefined,
          granularity: undefined,
          complete: undefined
        })
      }
      expect((await get(`/api/tenants/${acme.slug}/analytics`)).body.period).toBe("7d")
    })

    it("given the default range, then bandwidth-daily has the 30 days ending today, zero-filled, each equal to the records of the day", async () => {
      const { status, body } = await get(`/api/tenants/${acme.slug}/bandwidth-daily`)
      expect(status).toBe(200)
      expect(body.days).toHaveLength(30)
      expect(body.to).toBe(new Date(now).toISOString().slice(0, 10))
      expect(body.days.at(-1).date).toBe(body.to)
      expect(body.days).toEqual(
        naiveDaily(
          acmeRecords(),
          body.days.map((d: { date: string }) => Date.parse(`${d.date}T00:00:00Z`))
        )
      )
      const ranged = await get(
        `/api/tenants/${acme.slug}/bandwidth-daily?from=${new Date(lastMonth.start).toISOString().slice(0, 10)}&to=${new Date(month.start).toISOString().slice(0, 10)}`
      )
      expect(ranged.status).toBe(200)
      expect(ranged.body.days[0]).toEqual({
        date: ranged.body.from,
        requests: 1,
        bytesOut: 7,
        bytesFromOrigin: 7
      })
      expect(ranged.body.days.at(-2).bytesOut).toBe(11)
    })

    it("given the current month, then usage has this month and the previous one with their [from, to), incomplete, and no limits on this plan", async () => {
      const { status, body } = await get(`/api/tenants/${acme.slug}/usage`)
      expect(status).toBe(200)
      expect(body.period).toBe(month.label)
      expect(body.complete).toBe(false)
      expect(body.current).toEqual({
        from: new Date(month.start).toISOString(),
        to: new Date(month.end).toISOString(),
        ...naiveUsage(acmeRecords(), month.start, month.end)
      })
      expect(body.previous).toEqual({
        from: new Date(lastMonth.start).toISOString(),
        to: new Date(lastMonth.end).toISOString(),
        ...naiveUsage(acmeRecords(), lastMonth.start, lastMonth.end)
      })
      expect(body.previous.bytesOut).toBeGreaterThanOrEqual(18)
      expect(body.limits).toEqual({ maxRequestsPerMonth: null, maxBandwidthBytesPerMonth: null })
      expect(body.used).toEqual({ requests: null, bandwidth: null })
      const past = await get(`/api/tenants/${acme.slug}/usage?period=${lastMonth.label}`)
      expect(past.body).toMatchObject({ period: lastMonth.label, complete: true, current: body.previous })
    })

    it("given tenants the caller owns, one they left out of and one deleted, then usage across tenants lists theirs and sums them", async () => {
      const gone = await tenant("gone", owner)
      await ship(server, [recordOf(gone, now - 10, { bytesOut: 999 })])
      expect((await request(server, "DELETE", `/api/tenants/${gone.slug}`, { token: owner })).status).toBe(
        200
      )
      const foreign = await tenant("foreign", stranger)
      await ship(server, [recordOf(foreign, now - 10, { bytesOut: 777 })])

      const { status, body } = await get("/api/tenants/usage")
      expect(status).toBe(200)
      expect(body.period).toBe(month.label)
      expect(body.tenants.map((t: { slug: string; role: string }) => [t.slug, t.role])).toEqual([
        [acme.slug, "owner"],
        [beta.slug, "owner"]
      ])
      const mine = shipped.filter((r) => r.tenantId === acme.tenantId || r.tenantId === beta.tenantId)
      expect(body.total.current).toEqual({
        from: new Date(month.start).toISOString(),
        to: new Date(month.end).toISOString(),
        ...naiveUsage(mine, month.start, month.end)
      })
      expect(body.total.previous).toMatchObject(naiveUsage(mine, lastMonth.start, lastMonth.end))
      expect(body.tenants[1].current.bytesOut).toBe(
        naiveUsage(
          shipped.filter((r) => r.tenantId === beta.tenantId),
          month.start,
          month.end
        ).bytesOut
      )
      const strangers = await get("/api/tenants/usage", stranger)
      expect(strangers.body.tenants.map((t: { slug: string }) => t.slug)).toEqual([foreign.slug])
      expect(strangers.body.total.current.bytesOut).toBe(777)
    })

    it("given a bad period, date or range, then 400 validation_failed naming the field", async () => {
      const tomorrow = new Date(now + dayMillis).toISOString().slice(0, 10)
      const nextMonth = monthAt(month.end).label
      const cases: ReadonlyArray<readonly [string, string]> = [
        [`/api/tenants/${acme.slug}/analytics?period=1y`, "period"],
        [`/api/tenants/${acme.slug}/analytics?period=`, "period"],
        [`/api/tenants/${acme.slug}/analytics?period=7D`, "period"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?from=2026-13-01`, "from"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?to=2026-02-30`, "to"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?from=yesterday`, "from"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?to=${tomorrow}`, "to"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?from=2026-01-02&to=2026-01-01`, "from"],
        [`/api/tenants/${acme.slug}/bandwidth-daily?from=2024-01-01&to=2025-01-01`, "to"],
        [`/api/tenants/${acme.slug}/usage?period=2026-13`, "period"],
        [`/api/tenants/${acme.slug}/usage?period=${nextMonth}`, "period"],
        [`/api/tenants/${acme.slug}/usage?period=2026`, "period"],
        ["/api/tenants/usage?period=26-01", "period"],
        [`/api/tenants/usage?period=${nextMonth}`, "period"]
      ]
      for (const [path, field] of cases) {
        const { status, body } = await get(path)
        expect([path, status, body.error]).toEqual([path, 400, "validation_failed"])
        expect(Object.keys(body.errors), path).toEqual([field])
      }
      // 366 days is the longest range.
      expect(
        (await get(`/api/tenants/${acme.slug}/bandwidth-daily?from=2025-01-01&to=2026-01-01`)).status
      ).toBe(200)
    })

    it("given an unknown tenant or a non-member, then 404 and 403 before the query is read", async () => {
      expect((await get("/api/tenants/no-such-tenant-here/analytics?period=1y")).status).toBe(404)
      expect((await get(`/api/tenants/${acme.slug}/usage?period=bad`, stranger)).status).toBe(403)
    })
  })
}
