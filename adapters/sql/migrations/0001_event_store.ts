import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The log. `streams` holds each stream's current version so that an append is one
 * statement: a compare-and-set on the stream row, then the events. `transaction_id`
 * orders readers safely (see SqlEventStore.readAll).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE streams (
    stream_id text PRIMARY KEY,
    tenant_id text NOT NULL,
    version integer NOT NULL
  )`
  yield* sql`CREATE TABLE events (
    position bigserial PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    stream_version integer NOT NULL,
    tenant_id text NOT NULL,
    type text NOT NULL,
    schema_version integer NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
  )`
  yield* sql`CREATE INDEX events_commit_order ON events (transaction_id, position)`
  yield* sql`CREATE INDEX events_tenant_position ON events (tenant_id, position DESC)`
  yield* sql`CREATE TABLE snapshots (
    stream_id text PRIMARY KEY,
    stream_version integer NOT NULL,
    state_version integer NOT NULL,
    state jsonb NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE TABLE projection_checkpoints (
    name text PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`
})
