import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { TenantReadModel, type TenantWithRole } from "../../application/ports/TenantReadModel.ts"
import {
  type CacheVersionsRow,
  type TenantRow,
  tenantViewOf
} from "../../application/projections/tenantView.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { AppendSignal, type Stamp } from "./AppendSignal.ts"
import { anyOf, asJson, asNumber } from "./rows.ts"

const cacheLimit = 50_000

/** A live tenant's row joined to its cache versions (a tenant never bumped has no such row). */
const fromTenants = "tenants t LEFT JOIN tenant_cache_versions c ON c.tenant_id = t.tenant_id"

interface ViewRecord {
  readonly view: unknown
  readonly cache: unknown
}

const viewOf = (row: ViewRecord) =>
  tenantViewOf(asJson<TenantRow>(row.view), row.cache === null ? null : asJson<CacheVersionsRow>(row.cache))

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const appends = yield* AppendSignal

  // Access checks read (slug, user) on every request. Answers are kept until anything is
  // appended (here, or on another node: NOTIFY, within tens of milliseconds), and at most
  // the TTL (`AppendSignal.cacheTtlMillis`), in case another node's NOTIFY is never heard.
  // The stamp is taken before the query, so an answer racing an append is never kept as
  // fresh.
  const freshness = appends.freshness()
  const cache = new Map<string, { readonly stamp: Stamp; readonly value: TenantWithRole | undefined }>()
  const cached = (slug: string, userId: string) =>
    Effect.suspend(() => {
      const key = `${slug}\u0000${userId}`
      const hit = cache.get(key)
      if (hit !== undefined && freshness.isFresh(hit.stamp)) return Effect.succeed(hit.value)
      const stamp = freshness.stamp()
      return Effect.tap(bySlugForUserUncached(slug, userId), (value) =>
        Effect.sync(() => {
          if (cache.size >= cacheLimit) cache.clear()
          cache.set(key, { stamp, value })
        })
      )
    })

  const bySlugForUserUncached = (slug: string, userId: string) =>
    sql<ViewRecord & { role: Role | null }>`
      SELECT t.view, c.view AS cache, m.role FROM ${sql.literal(fromTenants)}
      LEFT JOIN tenant_members m ON m.tenant_id = t.tenant_id AND m.user_id = ${userId}
      WHERE t.slug = ${slug}`.pipe(
      Effect.map((rows) => {
        const row = rows[0]
        return row === undefined ? undefined : { view: viewOf(row), role: row.role }
      }),
      Effect.orDie
    )

  const one = (rows: ReadonlyArray<ViewRecord>) => (rows[0] === undefined ? undefined : viewOf(rows[0]))

  const bySlug = (slug: string) =>
    sql<ViewRecord>`SELECT t.view, c.view AS cache FROM ${sql.literal(fromTenants)} WHERE t.slug = ${slug}`.pipe(
      Effect.map(one),
      Effect.orDie
    )

  const byId = (tenantId: string) =>
    sql<ViewRecord>`SELECT t.view, c.view AS cache FROM ${sql.literal(fromTenants)}
      WHERE t.tenant_id = ${tenantId}`.pipe(Effect.map(one), Effect.orDie)

  // Two index scans (see anyOf), whatever the table's size.
  const liveAmong = (keys: {
    readonly tenantIds: ReadonlyArray<string>
    readonly slugs: ReadonlyArray<string>
  }) =>
    keys.tenantIds.length === 0 && keys.slugs.length === 0
      ? Effect.succeed([])
      : sql<ViewRecord>`SELECT t.view, c.view AS cache FROM ${sql.literal(fromTenants)}
          WHERE t.tenant_id = ${anyOf(sql, keys.tenantIds)}
            OR t.slug = ${anyOf(sql, keys.slugs)}`.pipe(
          Effect.map((rows) => rows.map(viewOf)),
          Effect.orDie
        )

  const listForUser = (userId: string) =>
    sql<ViewRecord & { role: Role }>`
      SELECT t.view, c.view AS cache, m.role FROM tenant_members m JOIN tenants t ON t.tenant_id = m.tenant_id
      LEFT JOIN tenant_cache_versions c ON c.tenant_id = t.tenant_id
      WHERE m.user_id = ${userId} ORDER BY t.view->>'createdAt', t.slug`.pipe(
      Effect.map((rows) => rows.map((row) => ({ view: viewOf(row), role: row.role }))),
      Effect.orDie
    )

  const countOwnedBy = (userId: string) =>
    sql<{ owned: unknown }>`
      SELECT count(*) AS owned FROM tenant_members m JOIN tenants t ON t.tenant_id = m.tenant_id
      WHERE m.user_id = ${userId} AND m.role = 'owner'`.pipe(
      Effect.map((rows) => asNumber(rows[0]?.owned ?? 0)),
      Effect.orDie
    )

  return TenantReadModel.of({ bySlugForUser: cached, bySlug, byId, liveAmong, listForUser, countOwnedBy })
})

export const layer = Layer.effect(TenantReadModel, make)
