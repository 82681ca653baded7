import { Deferred, Effect, Exit, Layer, Scope, Semaphore } from "effect"
import { SqlClient } from "effect/sql"
import { type Checkpoint, startOfLog } from "../../application/ports/EventStore.ts"
import {
  type Lease,
  LeaseLost,
  ProjectionCheckpoints
} from "../../application/ports/ProjectionCheckpoints.ts"
import { asNumber } from "./rows.ts"

export interface Options {
  /**
   * How often a holder checks that its lease still stands (its connection alive, its
   * epoch the newest), so that a lost lease stops its projector even between saves.
   */
  readonly heartbeatMillis?: number | undefined
}

export const defaultHeartbeatMillis = 1_000

/**
 * Checkpoints in `projection_checkpoints`, under a fenced lease.
 *
 * Who runs a projector: on PostgreSQL, whoever holds a session advisory lock on a reserved
 * connection, for as long as the scope lives; another node takes over when that
 * connection goes away. PGlite is one process with one connection: there the lock is
 * in-process, one per database.
 *
 * Fencing: a new holder increments the projector's `epoch` in `projection_leases`
 * (migration 0008) and saves carry theirs. A save locks the lease row `FOR SHARE` and
 * writes only if the epoch is still its own; the increment waits for a save in flight,
 * and a save after it finds the newer epoch and is refused (`LeaseLost`). So a holder
 * whose connection dropped, and which is still running (it has not noticed yet), cannot
 * write over its successor: everything it saved, it saved before the successor loaded.
 * A save also never moves the checkpoint backwards. A holder checks every
 * `heartbeatMillis` that its connection is alive and its epoch still the newest, and
 * reports the lease `lost` as soon as either fails.
 */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const heartbeatMillis = options.heartbeatMillis ?? defaultHeartbeatMillis

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

    const save = (lease: Lease, checkpoint: Checkpoint) =>
      sql<{ held: unknown }>`WITH lease AS (
          SELECT epoch FROM projection_leases WHERE name = ${lease.name} AND epoch = ${lease.epoch} FOR SHARE
        ), saved AS (
          INSERT INTO projection_checkpoints (name, transaction_id, position)
          SELECT ${lease.name}, ${String(checkpoint.transactionId)}::xid8, ${checkpoint.position} FROM lease
          ON CONFLICT (name) DO UPDATE
            SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()
            WHERE (projection_checkpoints.transaction_id, projection_checkpoints.position)
              < (EXCLUDED.transaction_id, EXCLUDED.position)
          RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM lease) AS held`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) =>
          rows[0]?.held === true
            ? Effect.void
            : Effect.fail(new LeaseLost({ name: lease.name, epoch: lease.epoch }))
        )
      )

    /** The next holder's epoch, above every earlier one; waits for a save in flight under the previous one. */
    const nextEpoch = (name: string) =>
      sql<{ epoch: unknown }>`INSERT INTO projection_leases (name, epoch) VALUES (${name}, 1)
        ON CONFLICT (name) DO UPDATE SET epoch = projection_leases.epoch + 1, acquired_at = now()
        RETURNING epoch`.pipe(Effect.map((rows) => asNumber(rows[0]!.epoch)))

    const currentEpoch = (name: string) =>
      sql<{ epoch: unknown }>`SELECT epoch FROM projection_leases WHERE name = ${name}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : asNumber(rows[0].epoch)))
      )

    /**
     * The lease of a holder that got `epoch`: `lost` once `stillHeld` fails or says no
     * (checked every `heartbeatMillis`), or once the scope closes (it is given up).
     */
    const held = (name: string, epoch: number, stillHeld: Effect.Effect<boolean, unknown>) =>
      Effect.gen(function* () {
        const lost = yield* Deferred.make<void>()
        yield* Effect.addFinalizer(() => Deferred.succeed(lost, undefined))
        const heartbeat = Effect.gen(function* () {
          while (true) {
            yield* Effect.sleep(heartbeatMillis)
            const ok = yield* stillHeld.pipe(Effect.orElseSucceed(() => false))
            if (!ok) return yield* Deferred.succeed(lost, undefined)
          }
        })
        yield* Effect.forkScoped(heartbeat)
        return { name, epoch, lost: Deferred.await(lost) } satisfies Lease
      })

    // One lock per projector and database, shared by every instance over the same client.
    const locks = inProcessLocks.get(sql) ?? new Map<string, Semaphore.Semaphore>()
    inProcessLocks.set(sql, locks)
    const leaseInProcess = (name: string) =>
      Effect.gen(function* () {
        let lock = locks.get(name)
        if (lock === undefined) {
          lock = Semaphore.makeUnsafe(1)
          locks.set(name, lock)
        }
        const taken = yield* lock.takeIfAvailable(1)
        if (!taken) return undefined
        yield* Effect.addFinalizer(() => lock.release(1))
        const epoch = yield* nextEpoch(name)
        return yield* held(
          name,
          epoch,
          Effect.map(currentEpoch(name), (current) => current === epoch)
        )
      }).pipe(Effect.orDie)

    const leaseAdvisory = (name: string) =>
      Effect.gen(function* () {
        // Reserved in a scope of its own, so a refused try gives the connection back at once
        // rather than holding it through the caller's standby.
        const reservation = yield* Scope.fork(yield* Effect.scope)
        const connection = yield* sql.reserve.pipe(Scope.provide(reservation))
        const key = `projector:${name}`
        const rows = yield* connection.execute(
          "SELECT pg_try_advisory_lock(hashtext($1)) AS held",
          [key],
          undefined
        )
        if ((rows[0] as { held?: unknown } | undefined)?.held !== true) {
          yield* Scope.close(reservation, Exit.void)
          return undefined
        }
        yield* Effect.addFinalizer(() =>
          connection.execute("SELECT pg_advisory_unlock(hashtext($1))", [key], undefined).pipe(Effect.ignore)
        )
        const epoch = yield* nextEpoch(name)
        // On the lease's own connection: it fails as soon as that connection is gone.
        const stillHeld = connection
          .execute("SELECT epoch FROM projection_leases WHERE name = $1", [name], undefined)
          .pipe(Effect.map((rows) => asNumber((rows[0] as { epoch?: unknown } | undefined)?.epoch) === epoch))
        return yield* held(name, epoch, stillHeld)
      }).pipe(Effect.orDie)

    const reset = (name: string) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* nextEpoch(name)
            yield* sql`INSERT INTO projection_checkpoints (name, transaction_id, position)
              VALUES (${name}, ${String(startOfLog.transactionId)}::xid8, ${startOfLog.position})
              ON CONFLICT (name) DO UPDATE
                SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()`
          })
        )
        .pipe(Effect.orDie)

    return ProjectionCheckpoints.of({
      load,
      save,
      lease: sql.driver === "pglite" ? leaseInProcess : leaseAdvisory,
      reset
    })
  })

const inProcessLocks = new WeakMap<SqlClient.SqlClient, Map<string, Semaphore.Semaphore>>()

export const layerWith = (options: Options) => Layer.effect(ProjectionCheckpoints, make(options))

export const layer = layerWith({})
