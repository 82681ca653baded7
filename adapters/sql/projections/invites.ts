import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent } from "../../../application/events/catalog.ts"
import { inviteChanges, inviteHandles } from "../../../application/projections/invites.ts"
import type { InlineProjection } from "../InlineProjection.ts"

/** `tenant_invites`: every invite of live tenants, found by tenant or by token hash. */
export const invitesProjection: InlineProjection = {
  name: "tenant_invites",
  tables: ["tenant_invites"],
  handles: inviteHandles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (const event of events) {
        for (const change of inviteChanges(event.tenantId, decodeEvent(event))) {
          switch (change._tag) {
            case "insert": {
              const row = change.row
              yield* sql`INSERT INTO tenant_invites
                (tenant_id, invite_id, sealed_email, role, token_hash, expires_at, invited_by, status, created_at, updated_at)
                VALUES (${row.tenantId}, ${row.inviteId}, ${row.sealedEmail}, ${row.role}, ${row.tokenHash},
                  ${row.expiresAt}, ${row.invitedBy}, ${row.status}, ${row.createdAt}, ${row.updatedAt})
                ON CONFLICT (tenant_id, invite_id) DO NOTHING`
              break
            }
            case "update": {
              const c = change.changes
              yield* sql`UPDATE tenant_invites SET
                role = COALESCE(${c.role ?? null}, role),
                token_hash = COALESCE(${c.tokenHash ?? null}, token_hash),
                expires_at = COALESCE(${c.expiresAt ?? null}, expires_at),
                invited_by = COALESCE(${c.invitedBy ?? null}, invited_by),
                status = COALESCE(${c.status ?? null}, status),
                updated_at = COALESCE(${c.updatedAt ?? null}, updated_at)
                WHERE tenant_id = ${change.tenantId} AND invite_id = ${change.inviteId}`
              break
            }
            case "clear":
              yield* sql`DELETE FROM tenant_invites WHERE tenant_id = ${change.tenantId}`
              break
          }
        }
      }
    }),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM tenant_invites`
  }).pipe(Effect.orDie)
}
