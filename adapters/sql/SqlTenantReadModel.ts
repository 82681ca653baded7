import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { TenantReadModel, type TenantWithRole } from "../../application/ports/TenantReadModel.ts"
import type { TenantView } from "../../application/projections/tenantView.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { AppendSignal } from "./AppendSignal.ts"
import { anyOf, asJson, asNumber } from "./rows.ts"

const cacheLimit = 50_000

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const appends = yield* AppendSignal

  // Access checks read (slug, user) on every request. Answers are kept until anything is
  // appended (here, or on another node: NOTIFY, within tens of milliseconds); the
  // generation is taken before the query, so an answer racing an append is never kept
  // as fresh.
  const cache = new Map<string, { readonly generation: number; readonly value: TenantWithRole | undefined }>()
  const cached = (slug: string, userId: string) =>
    Effect.suspend(() => {
      const key = `${slug}\u0000${userId}`
      const generation = appends.generation()
      const hit = cache.get(key)
      if (hit !== undefined && hit.generation === generation) return Effect.succeed(hit.value)
      return Effect.tap(bySlugForUserUncached(slug, userId), (value) =>
        Effect.sync(() => {
          if (cache.size >= cacheLimit) cache.clear()
          cache.set(key, { generation, value })
        })
      )
    })

  const bySlugForUserUncached = (slug: string, userId: string) =>
    sql<{ view: unknown; role: Role | null }>`
      SELECT t.view, m.role FROM tenants t
      LEFT JOIN tenant_members m ON m.tenant_id = t.tenant_id AND m.user_id = ${userId}
      WHERE t.slug = ${slug}`.pipe(
      Effect.map((rows) => {
        const row = rows[0]
        return row === undefined ? undefined : { view: asJson<TenantView>(row.view), role: row.role }
      }),
      Effect.orDie
    )

  const one = (rows: ReadonlyArray<{ view: unknown }>) =>
    rows[0] === undefined ? undefined : asJson<TenantView>(rows[0].view)

  const bySlug = (slug: string) =>
    sql<{ view: unknown }>`SELECT view FROM tenants WHERE slug = ${slug}`.pipe(Effect.map(one), Effect.orDie)

  const byId = (tenantId: string) =>
    sql<{ view: unknown }>`SELECT view FROM tenants WHERE tenant_id = ${tenantId}`.pipe(
      Effect.map(one),
      Effect.orDie
    )

  // Two index scans (see anyOf), whatever the table's size.
  const liveAmong = (keys: {
    readonly tenantIds: ReadonlyArray<string>
    readonly slugs: ReadonlyArray<string>
  }) =>
    keys.tenantIds.length === 0 && keys.slugs.length === 0
      ? Effect.succeed([])
      : sql<{ view: unknown }>`SELECT view FROM tenants
          WHERE tenant_id = ${anyOf(sql, keys.tenantIds)}
            OR slug = ${anyOf(sql, keys.slugs)}`.pipe(
          Effect.map((rows) => rows.map((row) => asJson<TenantView>(row.view))),
          Effect.orDie
        )

  const listForUser = (userId: string) =>
    sql<{ view: unknown; role: Role }>`
      SELECT t.view, m.role FROM tenant_members m JOIN tenants t ON t.tenant_id = m.tenant_id
      WHERE m.user_id = ${userId} ORDER BY t.view->>'createdAt', t.slug`.pipe(
      Effect.map((rows) => rows.map((row) => ({ view: asJson<TenantView>(row.view), role: row.role }))),
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
