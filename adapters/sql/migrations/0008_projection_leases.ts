import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The fencing token of each async projector's lease: every new holder increments `epoch`,
 * and a checkpoint is saved only under the newest one (see SqlProjectionCheckpoints), so
 * a runner that lost its lease without noticing cannot write over its successor.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE projection_leases (
    name text PRIMARY KEY,
    epoch bigint NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now()
  )`
})
