import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent } from "../../../application/events/catalog.ts"
import { membershipChanges, membershipHandles } from "../../../application/projections/memberships.ts"
import type { InlineProjection } from "../InlineProjection.ts"
import { anyOf } from "../rows.ts"

/**
 * `tenant_members`: (tenant, user) → role, read by every access check. The changes of
 * all events are folded in memory first, then written in at most three statements:
 * the tenants cleared (deleted), the members gone, the members upserted.
 */
export const membershipsProjection: InlineProjection = {
  name: "tenant_members",
  tables: ["tenant_members"],
  handles: membershipHandles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const cleared = new Set<string>()
      // tenant → user → its role after these events, or null: no longer a member.
      const members = new Map<string, Map<string, string | null>>()
      const of = (tenantId: string) => {
        const users = members.get(tenantId) ?? new Map<string, string | null>()
        members.set(tenantId, users)
        return users
      }
      for (const event of events) {
        for (const change of membershipChanges(event.tenantId, decodeEvent(event))) {
          switch (change._tag) {
            case "upsert":
              of(change.membership.tenantId).set(change.membership.userId, change.membership.role)
              break
            case "remove":
              of(change.tenantId).set(change.userId, null)
              break
            case "clear":
              cleared.add(change.tenantId)
              members.delete(change.tenantId)
              break
          }
        }
      }
      const upserts: Array<{ tenant_id: string; user_id: string; role: string }> = []
      const removals: Array<{ tenant_id: string; user_id: string }> = []
      for (const [tenantId, users] of members) {
        for (const [userId, role] of users) {
          if (role === null) removals.push({ tenant_id: tenantId, user_id: userId })
          else upserts.push({ tenant_id: tenantId, user_id: userId, role })
        }
      }
      if (cleared.size > 0) {
        yield* sql`DELETE FROM tenant_members
          WHERE tenant_id = ${anyOf(sql, cleared)}`
      }
      if (removals.length > 0) {
        // By tenant id first, so that the primary key is probed rather than the table scanned.
        const tenantIds = [...new Set(removals.map((removal) => removal.tenant_id))]
        yield* sql`DELETE FROM tenant_members
          WHERE tenant_id = ${anyOf(sql, tenantIds)}
            AND (tenant_id, user_id) IN (SELECT r.tenant_id, r.user_id
              FROM jsonb_to_recordset(${JSON.stringify(removals)}::jsonb) AS r(tenant_id text, user_id text))`
      }
      if (upserts.length > 0) {
        yield* sql`INSERT INTO tenant_members (tenant_id, user_id, role)
          SELECT r.tenant_id, r.user_id, r.role
          FROM jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb) AS r(tenant_id text, user_id text, role text)
          ORDER BY r.tenant_id, r.user_id
          ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role`
      }
    }),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenant_members`
  }).pipe(Effect.orDie)
}
