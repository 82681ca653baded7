import { Effect, Exit } from "effect"
import { SqlClient } from "effect/sql"
import * as SqlSecretBox from "../../adapters/crypto/SqlSecretBox.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { databaseTargets } from "../support/databases.ts"
import { secretBoxContract } from "./SecretBox.contract.ts"

/** The deletion as the application appends it: the shred is the `tenant_keys` inline projection's part. */
const deleteTenant = (tenantId: string) =>
  Effect.flatMap(EventStore, (store) =>
    store.append({
      streamId: `tenant-${tenantId}`,
      tenantId,
      expectedVersion: 0,
      events: [
        { type: "TenantDeleted", schemaVersion: 1, data: { slug: "gone", at: new Date().toISOString() } }
      ],
      metadata: { actor: { type: "system", id: "secret-box-contract" } }
    })
  ).pipe(Effect.orDie, Effect.asVoid)

const storedKeys = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ wrapped_key: string }>`SELECT wrapped_key FROM tenant_keys
      WHERE tenant_id = ${tenantId} AND wrapped_key IS NOT NULL`.pipe(
      Effect.map((rows) => rows.map((row) => row.wrapped_key))
    )
  ).pipe(Effect.orDie)

const rolledBack = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.andThen(effect, Effect.fail("roll back" as const))).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Exit.isFailure(exit) &&
        exit.cause.reasons.some((reason) => reason._tag === "Fail" && reason.error === "roll back")
          ? Effect.void
          : Effect.die(new Error(`expected the rollback, got ${JSON.stringify(exit)}`))
      )
    )
  )

for (const target of databaseTargets) {
  secretBoxContract(`SqlSecretBox on ${target.name}`, {
    layer: SqlStorage.layerOn(target.layer()),
    node: SqlSecretBox.make,
    deleteTenant,
    storedKeys,
    rolledBack
  })
}
