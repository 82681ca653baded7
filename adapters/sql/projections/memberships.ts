import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeTenantEvent } from "../../../application/events/tenantCodec.ts"
import { membershipChanges, membershipHandles } from "../../../application/projections/memberships.ts"
import type { InlineProjection } from "../InlineProjection.ts"

/** `tenant_members`: (tenant, user) → role, read by every access check. */
export const membershipsProjection: InlineProjection = {
  name: "tenant_members",
  tables: ["tenant_members"],
  handles: membershipHandles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (const event of events) {
        for (const change of membershipChanges(event.tenantId, decodeTenantEvent(event))) {
          switch (change._tag) {
            case "upsert":
              yield* sql`INSERT INTO tenant_members (tenant_id, user_id, role)
                VALUES (${change.membership.tenantId}, ${change.membership.userId}, ${change.membership.role})
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role`
              break
            case "remove":
              yield* sql`DELETE FROM tenant_members WHERE tenant_id = ${change.tenantId} AND user_id = ${change.userId}`
              break
            case "clear":
              yield* sql`DELETE FROM tenant_members WHERE tenant_id = ${change.tenantId}`
              break
          }
        }
      }
    }).pipe(Effect.orDie),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenant_members`
  }).pipe(Effect.orDie)
}
