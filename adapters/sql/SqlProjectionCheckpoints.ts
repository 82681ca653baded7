import { Effect, Layer, Semaphore } from "effect"
import { SqlClient } from "effect/sql"
import { type Checkpoint, startOfLog } from "../../application/ports/EventStore.ts"
import { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"
import { asNumber } from "./rows.ts"

/**
 * Checkpoints in `projection_checkpoints`. The lease is a PostgreSQL session advisory
 * lock held on a reserved connection for as long as the scope lives, so exactly one
 * node runs each projector and another takes over when that connection goes away.
 * PGlite is one process with one connection: a lease there is an in-process lock.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const load = (name: string) =>
    sql<{ transaction_id: unknown; position: unknown }>`
      SELECT transaction_id::text AS transaction_id, position FROM projection_checkpoints WHERE name = ${name}`.pipe(
      Effect.map((rows): Checkpoint => {
        const row = rows[0]
        return row === undefined
          ? startOfLog
          : { transactionId: asNumber(row.transaction_id), position: asNumber(row.position) }
      }),
      Effect.orDie
    )

  const save = (name: string, checkpoint: Checkpoint) =>
    sql`INSERT INTO projection_checkpoints (name, transaction_id, position)
      VALUES (${name}, ${String(checkpoint.transactionId)}::xid8, ${checkpoint.position})
      ON CONFLICT (name) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()`.pipe(
      Effect.asVoid,
      Effect.orDie
    )

  const inProcess = new Map<string, Semaphore.Semaphore>()
  const leaseInProcess = (name: string) =>
    Effect.gen(function* () {
      let lock = inProcess.get(name)
      if (lock === undefined) {
        lock = Semaphore.makeUnsafe(1)
        inProcess.set(name, lock)
      }
      const taken = yield* lock.takeIfAvailable(1)
      if (taken) yield* Effect.addFinalizer(() => lock.release(1))
      return taken
    })

  const leaseAdvisory = (name: string) =>
    Effect.gen(function* () {
      const connection = yield* sql.reserve
      const rows = yield* connection.execute(
        "SELECT pg_try_advisory_lock(hashtext($1)) AS held",
        [`projector:${name}`],
        undefined
      )
      const held = (rows[0] as { held?: unknown } | undefined)?.held === true
      if (held) {
        yield* Effect.addFinalizer(() =>
          connection
            .execute("SELECT pg_advisory_unlock(hashtext($1))", [`projector:${name}`], undefined)
            .pipe(Effect.ignore)
        )
      }
      return held
    }).pipe(Effect.orDie)

  return ProjectionCheckpoints.of({
    load,
    save,
    lease: sql.driver === "pglite" ? leaseInProcess : leaseAdvisory
  })
})

export const layer = Layer.effect(ProjectionCheckpoints, make)
