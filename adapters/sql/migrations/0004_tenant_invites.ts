import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Invites, kept inline with appends. The email is sealed under the tenant's data key;
 * the token only as its SHA-256 hash, looked up on accept. Instants stay ISO text, as
 * in the events, so the table equals a fold of the log exactly.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE tenant_invites (
    tenant_id text NOT NULL,
    invite_id integer NOT NULL,
    sealed_email text NOT NULL,
    role text NOT NULL,
    token_hash text NOT NULL,
    expires_at text NOT NULL,
    invited_by text NOT NULL,
    status text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (tenant_id, invite_id)
  )`
  yield* sql`CREATE INDEX tenant_invites_by_token_hash ON tenant_invites (token_hash)`
})
