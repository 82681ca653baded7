import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { InlineProjection } from "../InlineProjection.ts"

/**
 * Crypto-shredding as part of the deletion: `TenantDeleted` replaces the tenant's data
 * key with a tombstone (migration 0007) in the append's own transaction, so the deletion
 * and the shred commit together or not at all. From then on nothing sealed for the tenant
 * opens, its log copies included, and `SqlSecretBox` never makes it a key again. Keyed on
 * the event's type and `tenantId` alone (whatever stream carries it), so it needs no
 * decoding.
 */
export const tenantKeysProjection: InlineProjection = {
  name: "tenant_keys",
  tables: ["tenant_keys"],
  handles: new Set(["TenantDeleted"]),
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const shredded = new Map(events.map((event) => [event.tenantId, event.recordedAt]))
      yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key, shredded_at)
        SELECT d.tenant_id, NULL, d.at
        FROM jsonb_to_recordset(${JSON.stringify([...shredded].map(([tenant_id, at]) => ({ tenant_id, at })))}::jsonb)
          AS d(tenant_id text, at timestamptz)
        ORDER BY d.tenant_id
        ON CONFLICT (tenant_id) DO UPDATE SET wrapped_key = NULL,
          shredded_at = coalesce(tenant_keys.shredded_at, EXCLUDED.shredded_at)`
    }),
  // Live keys are no projection of the log (they are made on first use), and a tombstone
  // is never undone: a rebuild keeps every row and only applies the deletions again.
  reset: Effect.void
}
