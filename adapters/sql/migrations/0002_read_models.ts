import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Read models kept inline with appends. A live slug is unique here: the append that would reuse one fails. */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE tenants (
    tenant_id text PRIMARY KEY,
    slug text NOT NULL CONSTRAINT tenants_live_slug UNIQUE,
    view jsonb NOT NULL,
    position bigint NOT NULL
  )`
  yield* sql`CREATE TABLE tenant_members (
    tenant_id text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
  )`
  yield* sql`CREATE INDEX tenant_members_by_user ON tenant_members (user_id)`
})
