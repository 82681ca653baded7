import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { coreLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import { LogsSql } from "../../adapters/sql/logs/LogsDatabase.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { recordQuotasAfterIngest } from "../../application/analytics/quotas.ts"
import { readAnalytics } from "../../application/analytics/readAnalytics.ts"
import { Principal } from "../../application/auth/principal.ts"
import type { RequestContext } from "../../application/context.ts"
import { syncEdgeSnapshot } from "../../application/edge/edgeConfigProjector.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { RequestLogs } from "../../application/ports/RequestLogs.ts"
import { auditEvents } from "../../application/tenants/auditEvents.ts"
import { createTenant } from "../../application/tenants/createTenant.ts"
import { topPathsPerDay } from "../../domain/analytics/index.ts"
import { overQuotaAt } from "../../domain/edge/snapshot.ts"
import type { TenantId, UserId } from "../../domain/shared/ids.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { freshLogsDatabase } from "../support/logsDatabases.ts"
import { logRecord } from "../support/requestLogs.ts"

/**
 * The bounded per-day top-paths table, and monthly quotas: each threshold recorded once per
 * month (in the audit history, actor system), the edge snapshot's `overQuota` following.
 */

const owner = "user_quota_owner" as UserId
const context: RequestContext = {
  principal: Principal.user(owner, { masterAdmin: false }),
  requestId: "req_quota"
}

const settings = async () =>
  settingsFromEnv({
    DATA_DIR: await mkdtemp(join(tmpdir(), "tenantry-quota-")),
    PORT: "0",
    PLANS: JSON.stringify({ free: { maxTenants: 100, maxRequestsPerMonth: 10, quotaAction: "block" } })
  })

let counter = 0
const newTenant = Effect.gen(function* () {
  const slug = `qt-${Date.now().toString(36)}-${(counter++).toString(36)}` as Slug
  const created = yield* createTenant(context, {
    slug,
    cms: { cms: "generic", apiOrigin: "https://api.example.com" }
  })
  return { slug, tenantId: created.tenantId as TenantId }
})

for (const target of databaseTargets) {
  // One logs database, shared by the core and the test (a layer is built once per build).
  const logsDatabase = freshLogsDatabase(target.name)
  const services = Layer.unwrap(
    Effect.promise(settings).pipe(
      Effect.map((s) =>
        Layer.mergeAll(coreLayer(s, SqlStorage.layerOn(target.layer()), logsDatabase), logsDatabase)
      )
    )
  )

  layer(services, { excludeTestServices: true, timeout: 120_000 })(
    `Top-k and quotas (${target.name})`,
    (it) => {
      it.effect(
        "given a day with more distinct paths than the table holds, then it keeps 500 of them, the rest in 'other', and the day still sums exactly",
        () =>
          Effect.gen(function* () {
            const logs = yield* RequestLogs
            const sql = yield* LogsSql
            const { slug, tenantId } = yield* newTenant
            const ts = new Date().toISOString()
            const popular = Array.from({ length: 30 }, () =>
              logRecord({ tenantId, slug, ts, path: "/popular" })
            )
            const many = Array.from({ length: topPathsPerDay + 100 }, (_, i) =>
              logRecord({ tenantId, slug, ts, path: `/p/${String(i).padStart(4, "0")}` })
            )
            yield* logs.ingest({ batchId: undefined, records: [...popular, ...many] })
            // The day is full: a new path now goes to "other", a held one still counts.
            yield* logs.ingest({
              batchId: undefined,
              records: [
                logRecord({ tenantId, slug, ts, path: "/late-new" }),
                logRecord({ tenantId, slug, ts, path: "/popular" })
              ]
            })
            const rows = yield* sql<{ readonly path: string; readonly requests: number }>`
            SELECT path, requests::float8 AS requests FROM request_path_rollups_daily WHERE tenant_id = ${tenantId}`
            const named = rows.filter((row) => row.path !== "")
            expect(named).toHaveLength(topPathsPerDay)
            expect(rows.reduce((sum, row) => sum + Number(row.requests), 0)).toBe(
              30 + topPathsPerDay + 100 + 2
            )
            // 601 distinct paths in the first batch: 101 did not fit; then /late-new.
            expect(rows.find((row) => row.path === "")?.requests).toBe(101 + 1)
            const report = yield* readAnalytics(context, slug, "24h")
            expect(report.topPaths[0]).toEqual({ path: "/popular", requests: 31, bytesOut: 31 * 1234 })
            expect(report.topPaths.map((entry) => entry.path)).not.toContain("/late-new")
            expect(report.totals.requests).toBe(30 + topPathsPerDay + 100 + 2)
          })
      )

      it.effect(
        "given a plan of 10 requests a month, when usage passes 80 % then 100 %, then each is recorded once (actor system) and the snapshot turns overQuota",
        () =>
          Effect.gen(function* () {
            const logs = yield* RequestLogs
            const kv = yield* Kv
            const { slug, tenantId } = yield* newTenant
            const ingest = (n: number) =>
              Effect.gen(function* () {
                const records = Array.from({ length: n }, () => logRecord({ tenantId, slug }))
                yield* logs.ingest({ batchId: undefined, records })
                yield* recordQuotasAfterIngest(records, "req_ingest")
              })
            const quotaEvents = Effect.map(auditEvents(context, slug, { limit: 50 }), (page) =>
              page.events.filter((event) => event.type === "QuotaThresholdReached")
            )
            const snapshot = Effect.map(syncEdgeSnapshot(slug), (written) => written!)

            yield* ingest(7)
            expect(yield* quotaEvents).toEqual([])
            expect((yield* snapshot).overQuota).toBe(false)

            yield* ingest(1)
            yield* ingest(1)
            const at80 = yield* quotaEvents
            expect(at80.map((event) => [event.data.metric, event.data.threshold, event.data.used])).toEqual([
              ["requests", 80, 8]
            ])
            expect(at80[0]!.actor).toEqual({ type: "system", id: "quotas" })
            expect(at80[0]!.summary).toContain("80 % of the monthly request limit")
            expect((yield* snapshot).overQuota).toBe(false)

            yield* ingest(2)
            yield* ingest(5)
            const at100 = yield* quotaEvents
            expect(at100.map((event) => [event.data.threshold, event.data.used])).toEqual([
              [100, 11],
              [80, 8]
            ])
            const written = yield* snapshot
            expect(written).toMatchObject({
              overQuota: true,
              quotaMonth: new Date().toISOString().slice(0, 7),
              quotaAction: "block"
            })
            expect(overQuotaAt(written, new Date())).toBe(true)
            expect(JSON.parse((yield* kv.get(`proxy:${slug}`))!).overQuota).toBe(true)
          })
      )
    }
  )
}
