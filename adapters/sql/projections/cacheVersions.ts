import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent } from "../../../application/events/catalog.ts"
import {
  type CacheVersionsRow,
  cacheVersionsRowHandles,
  evolveCacheVersionsRow
} from "../../../application/projections/tenantView.ts"
import type { CacheVersionsEvent } from "../../../domain/cacheVersions/index.ts"
import type { InlineProjection } from "../InlineProjection.ts"
import { anyOf, asJson } from "../rows.ts"

const bumpOf = (stored: Parameters<typeof decodeEvent>[0]) => decodeEvent(stored) as CacheVersionsEvent

/**
 * `tenant_cache_versions`: each tenant's newest cache versions, one row per
 * cache-versions stream (a tenant that was never bumped has none: version 1 of each).
 * Rows outlive their tenant: readers join them to a live `tenants` row.
 *
 * It remembers (`RememberedRows`): bumps are the hot path (webhook deliveries), and a
 * bump that continues the version this process last wrote is written by the append
 * statement itself, one statement and no transaction.
 */
export const cacheVersionsProjection: InlineProjection = {
  name: "tenant_cache_versions",
  tables: ["tenant_cache_versions"],
  handles: cacheVersionsRowHandles,
  apply: (events, remember) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const rows: Array<{ tenant_id: string; view: CacheVersionsRow; position: number }> = []
      for (const [tenantId, bumps] of Map.groupBy(events, (event) => event.tenantId)) {
        let row: CacheVersionsRow | null = null
        for (const event of bumps) row = evolveCacheVersionsRow(row, bumpOf(event))
        const last = bumps.at(-1)!
        rows.push({ tenant_id: tenantId, view: row!, position: last.position })
        remember?.(last.streamId, { streamVersion: last.streamVersion, position: last.position, row })
      }
      yield* sql`INSERT INTO tenant_cache_versions (tenant_id, view, position)
        SELECT r.tenant_id, r.view, r.position
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(tenant_id text, view jsonb, position bigint)
        ORDER BY r.tenant_id
        ON CONFLICT (tenant_id) DO UPDATE SET view = EXCLUDED.view, position = EXCLUDED.position
          WHERE tenant_cache_versions.position < EXCLUDED.position`
    }),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenant_cache_versions`
  }).pipe(Effect.orDie),
  remembered: {
    next: (before, events) => {
      let row = before as CacheVersionsRow
      for (const event of events) row = evolveCacheVersionsRow(row, bumpOf({ ...event, tenantId: "" }))
      return row
    },
    write: (sql, planned) => sql`UPDATE tenant_cache_versions t SET view = p.row, position = w.position
      FROM jsonb_to_recordset(${planned}::jsonb)
          AS p(stream_id text, tenant_id text, row jsonb, expected_position bigint, last_version int)
        JOIN written w ON w.stream_id = p.stream_id AND w.stream_version = p.last_version
      WHERE t.tenant_id = p.tenant_id AND t.position = p.expected_position
      RETURNING p.stream_id`
  }
}

/** Reads the rows of these tenants (used by the tenant read model's joins). */
export const cacheVersionsOf = (sql: SqlClient.SqlClient, tenantIds: Iterable<string>) =>
  sql<{ tenant_id: string; view: unknown }>`SELECT tenant_id, view FROM tenant_cache_versions
    WHERE tenant_id = ${anyOf(sql, tenantIds)}`.pipe(
    Effect.map((rows) => new Map(rows.map((row) => [row.tenant_id, asJson<CacheVersionsRow>(row.view)])))
  )
