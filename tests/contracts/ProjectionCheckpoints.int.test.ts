import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as SqlProjectionCheckpoints from "../../adapters/sql/SqlProjectionCheckpoints.ts"
import { databaseTargets } from "../support/databases.ts"
import { projectionCheckpointsContract } from "./ProjectionCheckpoints.contract.ts"

/** Terminates the backend that holds the projector's advisory lock (PostgreSQL only). */
const dropLeaseConnection = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ terminated: unknown }>`SELECT pg_terminate_backend(l.pid) AS terminated FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.objid = (hashtext(${`projector:${name}`})::bigint & 4294967295)::oid`.pipe(
      Effect.flatMap((rows) =>
        rows.length === 1
          ? Effect.void
          : Effect.die(new Error(`expected one lease holder, found ${rows.length}`))
      )
    )
  ).pipe(Effect.orDie)

for (const target of databaseTargets) {
  projectionCheckpointsContract(`SqlProjectionCheckpoints on ${target.name}`, {
    layer: target.layer(),
    node: SqlProjectionCheckpoints.make({ heartbeatMillis: 100 }),
    dropLeaseConnection: target.name === "postgres" ? dropLeaseConnection : undefined
  })
}
