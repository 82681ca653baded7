import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeTenantEvent } from "../../../application/events/tenantCodec.ts"
import { UniqueKeyTaken } from "../../../application/ports/EventStore.ts"
import {
  evolveTenantView,
  type TenantView,
  tenantViewHandles
} from "../../../application/projections/tenantView.ts"
import type { InlineProjection } from "../InlineProjection.ts"
import { asJson } from "../rows.ts"

/** `tenants`: one row per live tenant, its view as JSON; deleted tenants leave, freeing their slug. */
export const tenantsProjection: InlineProjection = {
  name: "tenants",
  tables: ["tenants"],
  handles: tenantViewHandles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const byTenant = Map.groupBy(events, (event) => event.tenantId)
      for (const [tenantId, tenantEvents] of byTenant) {
        const rows = yield* sql<{ view: unknown }>`SELECT view FROM tenants WHERE tenant_id = ${tenantId}`
        let view = rows[0] === undefined ? null : asJson<TenantView>(rows[0].view)
        for (const event of tenantEvents) view = evolveTenantView(view, decodeTenantEvent(event))
        const position = tenantEvents.at(-1)!.position
        if (view === null) {
          yield* sql`DELETE FROM tenants WHERE tenant_id = ${tenantId}`
        } else {
          yield* sql`INSERT INTO tenants (tenant_id, slug, view, position)
            VALUES (${tenantId}, ${view.slug}, ${JSON.stringify(view)}::jsonb, ${position})
            ON CONFLICT (tenant_id) DO UPDATE SET slug = EXCLUDED.slug, view = EXCLUDED.view, position = EXCLUDED.position`
        }
      }
    }).pipe(
      Effect.catchReason("SqlError", "UniqueViolation", (violation) =>
        violation.constraint === "tenants_live_slug"
          ? Effect.fail(new UniqueKeyTaken({ key: "slug" }))
          : Effect.die(violation)
      ),
      Effect.catchTag("SqlError", (error) => Effect.die(error))
    ),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenants`
  }).pipe(Effect.orDie)
}
