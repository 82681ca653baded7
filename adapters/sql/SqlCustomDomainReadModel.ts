import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type CheckRecord,
  CustomDomainReadModel,
  type DomainRow
} from "../../application/ports/CustomDomainReadModel.ts"
import { domainCheckJob } from "../../application/ports/ScheduleStore.ts"
import type { DomainStatus } from "../../domain/customDomain/index.ts"
import { anyOf, asJson, asNumber } from "./rows.ts"

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
    ofTenants,
    countForTenant,
    recordCheck,
    routingTable
  })
})

export const layer = Layer.effect(CustomDomainReadModel, make)
