import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Shredding leaves a tombstone: the tenant's `tenant_keys` row stays, without its wrapped
 * key, with the time it was shredded. A data key is only ever created by an insert on the
 * same primary key (`ON CONFLICT DO NOTHING`), so a tenant once shredded never gets a key
 * again, whatever the timing: an insert racing the shred waits on the row and finds it.
 *
 * Tenants deleted before this release may still have their key (a crash between the
 * deletion and the shred left it alive): they are shredded here, from the log.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE tenant_keys ALTER COLUMN wrapped_key DROP NOT NULL`
  yield* sql`ALTER TABLE tenant_keys ADD COLUMN shredded_at timestamptz`
  yield* sql`ALTER TABLE tenant_keys ADD CONSTRAINT tenant_keys_key_or_tombstone
    CHECK ((wrapped_key IS NULL) = (shredded_at IS NOT NULL))`
  yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key, shredded_at)
    SELECT tenant_id, NULL, max(recorded_at) FROM events WHERE type = 'TenantDeleted' GROUP BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET wrapped_key = NULL, shredded_at = EXCLUDED.shredded_at`
})
