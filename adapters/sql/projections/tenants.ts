import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent } from "../../../application/events/catalog.ts"
import { UniqueKeyTaken } from "../../../application/ports/EventStore.ts"
import {
  evolveTenantRow,
  type TenantRow,
  tenantRowHandles
} from "../../../application/projections/tenantView.ts"
import type { TenantEvent } from "../../../domain/tenant/index.ts"
import type { InlineProjection } from "../InlineProjection.ts"
import { anyOf, asJson } from "../rows.ts"

const tenantEvent = (stored: Parameters<typeof decodeEvent>[0]) => decodeEvent(stored) as TenantEvent

/**
 * `tenants`: one row per live tenant, its row as JSON (what its own stream says; the
 * cache versions are `tenant_cache_versions`); deleted tenants leave, freeing
 * their slug. Set-based, whatever the number of tenants in one append: one read of
 * their rows, the fold in memory, one delete for the tenants that left, one upsert for
 * the rest. The delete goes first, so a slug freed and reused by another tenant in the
 * same append is free by then; the upsert writes in slug order, so two transactions
 * inserting new slugs wait on each other's (unique index) in one order, never in a cycle.
 * Ids go in as one JSON array through `anyOf`, which probes the primary key.
 *
 * It remembers (`RememberedRows`): a tenant whose view this process last wrote, and
 * whose append changes neither its slug nor its life, is updated by the append
 * statement itself (config edits).
 */
export const tenantsProjection: InlineProjection = {
  name: "tenants",
  tables: ["tenants"],
  handles: tenantRowHandles,
  apply: (events, remember) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const byTenant = Map.groupBy(events, (event) => event.tenantId)
      const rows = yield* sql<{ tenant_id: string; view: unknown }>`SELECT tenant_id, view FROM tenants
        WHERE tenant_id = ${anyOf(sql, byTenant.keys())}`
      const current = new Map(rows.map((row) => [row.tenant_id, asJson<TenantRow>(row.view)]))
      const left: Array<string> = []
      const live: Array<{ tenant_id: string; slug: string; view: TenantRow; position: number }> = []
      for (const [tenantId, tenantEvents] of byTenant) {
        let view = current.get(tenantId) ?? null
        for (const event of tenantEvents) view = evolveTenantRow(view, tenantEvent(event))
        const last = tenantEvents.at(-1)!
        if (view === null) left.push(tenantId)
        else live.push({ tenant_id: tenantId, slug: view.slug, view, position: last.position })
        remember?.(
          last.streamId,
          view === null
            ? undefined
            : { streamVersion: last.streamVersion, position: last.position, row: view }
        )
      }
      if (left.length > 0) {
        yield* sql`DELETE FROM tenants
          WHERE tenant_id = ${anyOf(sql, left)}`
      }
      if (live.length > 0) {
        yield* sql`INSERT INTO tenants (tenant_id, slug, view, position)
          SELECT r.tenant_id, r.slug, r.view, r.position
          FROM jsonb_to_recordset(${JSON.stringify(live)}::jsonb)
            AS r(tenant_id text, slug text, view jsonb, position bigint)
          ORDER BY r.slug
          ON CONFLICT (tenant_id) DO UPDATE SET slug = EXCLUDED.slug, view = EXCLUDED.view, position = EXCLUDED.position`
      }
    }).pipe(
      Effect.catchReason("SqlError", "UniqueViolation", (violation) =>
        violation.constraint === "tenants_live_slug"
          ? Effect.fail(new UniqueKeyTaken({ key: "slug" }))
          : Effect.die(violation)
      )
    ),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenants`
  }).pipe(Effect.orDie),
  remembered: {
    next: (before, events) => {
      const from = before as TenantRow
      let view: TenantRow | null = from
      for (const event of events)
        view = evolveTenantRow(view, tenantEvent({ ...event, tenantId: from.tenantId }))
      return view === null || view.slug !== from.slug ? undefined : view
    },
    write: (sql, planned) => sql`UPDATE tenants t SET view = p.row, position = w.position
      FROM jsonb_to_recordset(${planned}::jsonb)
          AS p(stream_id text, tenant_id text, row jsonb, expected_position bigint, last_version int)
        JOIN written w ON w.stream_id = p.stream_id AND w.stream_version = p.last_version
      WHERE t.tenant_id = p.tenant_id AND t.position = p.expected_position
      RETURNING p.stream_id`
  }
}
