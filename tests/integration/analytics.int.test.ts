import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { coreLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import {
  readAnalytics,
  readBandwidthDaily,
  readTenantUsage,
  readUsageAcrossTenants
} from "../../application/analytics/readAnalytics.ts"
import { Principal } from "../../application/auth/principal.ts"
import type { RequestContext } from "../../application/context.ts"
import { RequestLogs } from "../../application/ports/RequestLogs.ts"
import { createTenant } from "../../application/tenants/createTenant.ts"
import {
  analyticsPeriods,
  dayMillis,
  floorDay,
  hourMillis,
  monthAt,
  previousMonth
} from "../../domain/analytics/index.ts"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import type { TenantId, UserId } from "../../domain/shared/ids.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { naiveAnalytics, naiveDaily, naiveUsage } from "../support/analyticsModel.ts"
import { databaseTargets } from "../support/databases.ts"
import { freshLogsDatabase } from "../support/logsDatabases.ts"
import { logRecord } from "../support/requestLogs.ts"

/**
 * The analytics endpoints' use cases over the real stores: for arbitrary records (times
 * over the last 70 days, so across day and month boundaries; every surface, cache outcome
 * and status; duplicates; batches in any order, late ones included), every figure of every
 * endpoint equals the naive computation over the same records in memory.
 */

const settings = async () =>
  settingsFromEnv({ DATA_DIR: await mkdtemp(join(tmpdir(), "tenantry-analytics-")), PORT: "0" })

const owner = "user_analytics_owner" as UserId
const context: RequestContext = {
  principal: Principal.user(owner, { masterAdmin: false }),
  requestId: "req_analytics"
}

const recordsFor = (tenantId: TenantId, slug: string, now: number) =>
  fc.array(
    fc
      .record({
        id: fc.integer({ min: 1, max: 150 }),
        back: fc.oneof(
          fc.integer({ min: 0, max: 3 * hourMillis }),
          fc.integer({ min: 0, max: 2 * dayMillis }),
          fc.integer({ min: 0, max: 70 * dayMillis })
        ),
        path: fc.constantFrom("/", "/a", "/b", "/~api/items", "/c/d"),
        status: fc.constantFrom(101, 200, 204, 301, 404, 500, 503),
        cache: fc.constantFrom("HIT" as const, "MISS" as const, "BYPASS" as const),
        surface: fc.constantFrom("site" as const, "api" as const, "assets" as const),
        bytesOut: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3_000_000_000 })),
        bytesFromOrigin: fc.integer({ min: 0, max: 5000 }),
        durationMs: fc.oneof(
          fc.constantFrom(0, 5, 10, 25, 10_000, 10_000.5),
          fc.double({ min: 0, max: 20_000, noNaN: true })
        ),
        country: fc.constantFrom(null, "DE", "US", "FR")
      })
      .map(
        (r): RequestLogRecord =>
          logRecord({
            id: `${tenantId}_${r.id}`,
            ts: new Date(now - r.back).toISOString(),
            tenantId,
            slug,
            path: r.path,
            status: r.status,
            cache: r.cache,
            surface: r.surface,
            bytesOut: r.bytesOut,
            bytesFromOrigin: r.bytesFromOrigin,
            durationMs: r.durationMs,
            originMs: r.cache === "HIT" ? null : r.durationMs,
            country: r.country
          })
      ),
    { maxLength: 80 }
  )

let counter = 0
const newTenant = Effect.gen(function* () {
  const slug = `an-${Date.now().toString(36)}-${(counter++).toString(36)}` as Slug
  const created = yield* createTenant(context, {
    slug,
    cms: { cms: "generic", apiOrigin: "https://api.example.com" }
  })
  return { slug, tenantId: created.tenantId as TenantId }
})

for (const target of databaseTargets) {
  // One logs database, shared by the core and the test (a layer is built once per build).
  const logsDatabase = freshLogsDatabase(target.name)
  const servicesLayer = Layer.unwrap(
    Effect.promise(settings).pipe(
      Effect.map((s) =>
        Layer.mergeAll(
          coreLayer(
            { ...s, plans: { free: { maxTenants: 1000 } } },
            SqlStorage.layerOn(target.layer()),
            logsDatabase
          ),
          logsDatabase
        )
      )
    )
  )

  layer(servicesLayer, { excludeTestServices: true, timeout: 240_000 })(
    `Analytics from the rollups (${target.name})`,
    (it) => {
      it.effect(
        "given arbitrary records ingested in batches, then analytics (every period), bandwidth-daily, usage and usage across tenants equal the naive computation",
        () =>
          Effect.gen(function* () {
            const logs = yield* RequestLogs
            const context_ = yield* Effect.context<Layer.Success<typeof servicesLayer>>()
            const provide = Effect.runPromiseWith(context_)
            const now = Date.now()
            const first = yield* newTenant
            const stored: Array<RequestLogRecord> = []
            const second = yield* newTenant
            yield* Effect.promise(() =>
              fc.assert(
                fc.asyncProperty(
                  recordsFor(first.tenantId, first.slug, now),
                  recordsFor(second.tenantId, second.slug, now),
                  fc.integer({ min: 1, max: 4 }),
                  async (ofFirst, ofSecond, batches) => {
                    // Fresh ids per run: each run adds to what earlier runs stored, as the model does.
                    const all = [...ofFirst, ...ofSecond]
                    const size = Math.ceil(all.length / batches)
                    for (let start = 0; start < all.length; start += size) {
                      await provide(
                        logs.ingest({ batchId: undefined, records: all.slice(start, start + size) })
                      )
                    }
                    stored.push(...all)
                    const mine = stored.filter((r) => r.tenantId === first.tenantId)
                    for (const period of analyticsPeriods) {
                      const report = await provide(readAnalytics(context, first.slug, period))
                      const from = Date.parse(report.from)
                      const to = Date.parse(report.to)
                      const size = report.granularity === "hour" ? hourMillis : dayMillis
                      const buckets = report.series.map((point) => Date.parse(point.t))
                      const naive = naiveAnalytics(
                        mine,
                        { from, to, buckets, size },
                        { from: floorDay(from), to: floorDay(to - 1) + dayMillis }
                      )
                      expect(report.totals).toEqual(naive.totals)
                      expect(report.latency).toEqual(naive.latency)
                      expect(report.surfaces).toEqual(naive.surfaces)
                      expect(report.series).toEqual(naive.series)
                      expect(report.topPaths).toEqual(naive.topPaths)
                      expect(report.topCountries).toEqual(naive.topCountries)
                    }
                    const bandwidth = await provide(
                      readBandwidthDaily(context, first.slug, {
                        from: new Date(now - 80 * dayMillis).toISOString().slice(0, 10)
                      })
                    )
                    expect(bandwidth.days).toEqual(
                      naiveDaily(
                        mine,
                        bandwidth.days.map((d) => Date.parse(`${d.date}T00:00:00Z`))
                      )
                    )
                    const month = monthAt(Date.now())
                    for (const label of [
                      undefined,
                      previousMonth(month).label,
                      previousMonth(previousMonth(month)).label
                    ]) {
                      const usage = await provide(readTenantUsage(context, first.slug, label))
                      const current = naiveUsage(
                        mine,
                        Date.parse(usage.current.from),
                        Date.parse(usage.current.to)
                      )
                      const before = naiveUsage(
                        mine,
                        Date.parse(usage.previous.from),
                        Date.parse(usage.previous.to)
                      )
                      expect(usage.current).toMatchObject(current)
                      expect(usage.previous).toMatchObject(before)
                      expect(usage.limits).toEqual({
                        maxRequestsPerMonth: null,
                        maxBandwidthBytesPerMonth: null
                      })
                      expect(usage.used).toEqual({ requests: null, bandwidth: null })
                    }
                    const across = await provide(readUsageAcrossTenants(context, undefined))
                    const listed = across.tenants.filter(
                      (t) => t.slug === first.slug || t.slug === second.slug
                    )
                    expect(listed.map((t) => t.role)).toEqual(["owner", "owner"])
                    const from = Date.parse(across.total.current.from)
                    const to = Date.parse(across.total.current.to)
                    expect(across.total.current).toMatchObject(naiveUsage(stored, from, to))
                    expect(listed[1]!.current).toMatchObject(
                      naiveUsage(
                        stored.filter((r) => r.tenantId === second.tenantId),
                        from,
                        to
                      )
                    )
                  }
                ),
                { numRuns: 12 }
              )
            )
          })
      )
    }
  )
}
