import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type CheckRecord,
  CustomDomainReadModel,
  type DomainRow
} from "../../application/ports/CustomDomainReadModel.ts"
import { domainCheckJob } from "../../application/ports/ScheduleStore.ts"
import type { DomainSummary } from "../../application/projections/tenantView.ts"
import type { DomainStatus } from "../../domain/customDomain/index.ts"
import { AppendSignal, type Stamp } from "./AppendSignal.ts"
import { customDomainsProjection } from "./projections/customDomains.ts"
import { anyOf, asJson, asNumber } from "./rows.ts"

const summaryCacheLimit = 50_000

interface Record_ {
  readonly token: string
  readonly createdAt: string
  readonly verifiedAt: string | null
  readonly activatedAt: string | null
  readonly reasons: ReadonlyArray<string>
  readonly routingMisses: number
  readonly lastCheckedAt: string | null
}

interface Row {
  readonly hostname: string
  readonly tenant_id: string
  readonly domain_id: string
  readonly status: string
  readonly record: unknown
  readonly next_ms: unknown
}

const rowOf = (row: Row): DomainRow => {
  const record = asJson<Record_>(row.record)
  return {
    hostname: row.hostname,
    tenantId: row.tenant_id,
    domainId: row.domain_id,
    status: row.status as DomainStatus | "released",
    token: record.token,
    createdAt: record.createdAt,
    verifiedAt: record.verifiedAt,
    activatedAt: record.activatedAt,
    reasons: record.reasons,
    routingMisses: record.routingMisses,
    lastCheckedAt: record.lastCheckedAt,
    nextCheckAt: row.next_ms === null ? null : new Date(Math.round(asNumber(row.next_ms))).toISOString()
  }
}

/** `custom_domains` with each row's next check from `scheduled_jobs`. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const appends = yield* AppendSignal
  const select = sql`SELECT d.hostname, d.tenant_id, d.domain_id, d.status, d.record,
      (extract(epoch FROM s.due_at) * 1000)::float8 AS next_ms
    FROM custom_domains d
    LEFT JOIN scheduled_jobs s ON s.job = ${domainCheckJob} AND s.key = d.hostname`

  const listForTenant = (tenantId: string) =>
    sql<Row>`${select} WHERE d.tenant_id = ${tenantId} AND d.status <> 'released'
      ORDER BY d.created_at, d.hostname`.pipe(
      Effect.map((rows) => rows.map(rowOf)),
      Effect.orDie
    )

  const byHostname = (hostname: string) =>
    sql<Row>`${select} WHERE d.hostname = ${hostname}`.pipe(
      Effect.map((rows) => (rows[0] === undefined ? undefined : rowOf(rows[0]))),
      Effect.orDie
    )

  const ofTenants = (tenantIds: ReadonlyArray<string>) =>
    tenantIds.length === 0
      ? Effect.succeed([])
      : sql<Row>`${select} WHERE d.tenant_id = ${anyOf(sql, tenantIds)} ORDER BY d.created_at, d.hostname`.pipe(
          Effect.map((rows) => rows.map(rowOf)),
          Effect.orDie
        )

  // Every tenant read carries its domains summary: answers are kept until a domain event (or a
  // tenant deletion) is appended, here or on another node, and at most the TTL
  // (`AppendSignal.cacheTtlMillis`). Only transitions change a summary's fields, and every
  // transition is an event; a check that changes nothing writes no event and no summary field.
  const summaryFreshness = appends.freshness(customDomainsProjection.handles)
  const summaryCache = new Map<
    string,
    { readonly stamp: Stamp; readonly value: ReadonlyArray<DomainSummary> }
  >()

  const summariesOf = (tenantIds: ReadonlyArray<string>) =>
    Effect.suspend(() => {
      const found = new Map<string, ReadonlyArray<DomainSummary>>()
      const missing: Array<string> = []
      for (const tenantId of new Set(tenantIds)) {
        const hit = summaryCache.get(tenantId)
        if (hit !== undefined && summaryFreshness.isFresh(hit.stamp)) {
          if (hit.value.length > 0) found.set(tenantId, hit.value)
        } else missing.push(tenantId)
      }
      if (missing.length === 0) return Effect.succeed(found)
      // Stamped before the query: an append landing meanwhile leaves this answer stale-marked.
      const stamp = summaryFreshness.stamp()
      return sql<{ tenant_id: string; hostname: string; status: string; activated_at: string | null }>`
        SELECT tenant_id, hostname, status, record->>'activatedAt' AS activated_at FROM custom_domains
        WHERE tenant_id = ${anyOf(sql, missing)} AND status <> 'released'
        ORDER BY created_at, hostname`.pipe(
        Effect.map((rows) => {
          const read = new Map<string, Array<DomainSummary>>()
          for (const row of rows) {
            const list = read.get(row.tenant_id) ?? []
            list.push({
              hostname: row.hostname,
              status: row.status as DomainStatus,
              activatedAt: row.activated_at
            })
            read.set(row.tenant_id, list)
          }
          if (summaryCache.size + missing.length > summaryCacheLimit) summaryCache.clear()
          for (const tenantId of missing) {
            const value = read.get(tenantId) ?? []
            summaryCache.set(tenantId, { stamp, value })
            if (value.length > 0) found.set(tenantId, value)
          }
          return found
        }),
        Effect.orDie
      )
    })

  const countForTenant = (tenantId: string) =>
    sql<{ n: unknown }>`SELECT count(*) AS n FROM custom_domains
      WHERE tenant_id = ${tenantId} AND status <> 'released'`.pipe(
      Effect.map((rows) => asNumber(rows[0]?.n ?? 0)),
      Effect.orDie
    )

  const recordCheck = (hostname: string, domainId: string, check: CheckRecord) =>
    sql`UPDATE custom_domains SET record = record || ${JSON.stringify({
      reasons: check.reasons,
      routingMisses: check.routingMisses,
      lastCheckedAt: check.checkedAt
    })}::jsonb WHERE hostname = ${hostname} AND domain_id = ${domainId}`.pipe(Effect.asVoid, Effect.orDie)

  const routingTable = () =>
    Effect.all({
      slugs: sql<{ slug: string }>`SELECT slug FROM tenants ORDER BY slug`.pipe(
        Effect.map((rows) => rows.map((row) => row.slug))
      ),
      domains: sql<{ hostname: string; slug: string }>`
        SELECT d.hostname, t.slug FROM custom_domains d JOIN tenants t ON t.tenant_id = d.tenant_id
        WHERE d.status = 'active' ORDER BY d.hostname`.pipe(
        Effect.map((rows) => rows.map((row) => ({ hostname: row.hostname, slug: row.slug })))
      )
    }).pipe(Effect.orDie)

  return CustomDomainReadModel.of({
    listForTenant,
    byHostname,
    summariesOf,
    ofTenants,
    countForTenant,
    recordCheck,
    routingTable
  })
})

export const layer = Layer.effect(CustomDomainReadModel, make)
