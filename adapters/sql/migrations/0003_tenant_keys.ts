import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Per-tenant data keys, wrapped by the master key; deleting a row shreds the tenant's secrets. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE tenant_keys (
    tenant_id text PRIMARY KEY,
    wrapped_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`
})
