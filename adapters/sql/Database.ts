import { randomBytes } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Cause, Clock, Deferred, Effect, Exit, Layer, Redacted, Stream } from "effect"
import { AppendSignal } from "./AppendSignal.ts"
import { migrate } from "./migrations/index.ts"
import * as PgliteClient from "./PgliteClient.ts"

/** Where the log and read models live: PostgreSQL at a URL, or PGlite in a directory (in memory without one). */
export type DatabaseConfig =
  | {
      readonly _tag: "postgres"
      readonly url: string
      readonly maxConnections?: number
      /** How long caches of database state keep an answer without news (`defaultCacheTtlMillis`). */
      readonly cacheTtlMillis?: number | undefined
      /** Backoff of the LISTEN connection's restarts (`defaultListenRestart`). */
      readonly listenRestart?: ListenRestart | undefined
    }
  | {
      readonly _tag: "pglite"
      readonly dataDir?: string | undefined
      readonly loadDataDir?: Blob | undefined
      readonly cacheTtlMillis?: number | undefined
    }

/** The first wait before restarting a dropped LISTEN, doubled after each failed try up to the max. */
export interface ListenRestart {
  readonly firstMillis: number
  readonly maxMillis: number
}

/** 100 ms, then 200, 400… at most 5 s between tries while the database stays unreachable. */
export const defaultListenRestart: ListenRestart = { firstMillis: 100, maxMillis: 5_000 }

const channel = "tenantry_events"

/** How long other nodes may wait to hear of local appends; bounds NOTIFYs to one per tick. */
const broadcastMillis = 20

/** NOTIFY payloads stop at 8,000 bytes; a cut list makes the receiver empty every cache. */
const maxPayload = 7_900

/**
 * Tells the other nodes about appends, and hears of theirs. NOTIFY goes out on its own
 * statement, at most once per tick, rather than from a trigger inside every append: a
 * notifying commit holds a cluster-wide lock through its flush, which serialises all
 * appends (bench: 3.9k → 7.1k appends/s at 8 writers without it).
 *
 * The payload is `{node}|{type},{type}…`: the sender's id, so a node ignores its own
 * broadcasts (it woke its readers when it appended), and the event types appended, so
 * other nodes empty only the caches those types can change. A payload that does not
 * parse empties them all.
 *
 * The LISTEN holds a connection of its own. When that connection drops (a restarted or
 * failed-over server, a terminated backend, a network cut), the LISTEN is started again
 * with backoff; and on every start, the first included, once PostgreSQL has confirmed it,
 * every generation moves: whatever other nodes appended while this one was not listening
 * went unheard, so every cache starts over. A connection cut silently (no reset, no error)
 * is not noticed here until TCP gives up: the caches' TTL bounds that case.
 */
const crossNodeSignal = (restart: ListenRestart) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const pg = yield* PgClient.PgClient
      const signal = yield* AppendSignal
      const node = randomBytes(8).toString("hex")
      const heard = (payload: string) => {
        const separator = payload.indexOf("|")
        if (separator === -1) return signal.signal(undefined)
        if (payload.slice(0, separator) === node) return Effect.void
        const types = payload.slice(separator + 1)
        return signal.signal(types === "" ? undefined : types.split(","))
      }

      // Settled by the first LISTEN: the layer is built once it holds (or fails if it does not).
      const firstListen = yield* Deferred.make<void, unknown>()
      /** One LISTEN, from its registration until its connection fails. */
      const session = Effect.scoped(
        Effect.gen(function* () {
          const notifications = yield* pg.listen(channel)
          yield* signal.signal(undefined)
          yield* Deferred.succeed(firstListen, undefined)
          return yield* Stream.runForEach(Stream.fromQueue(notifications), (notification) =>
            heard(notification.payload)
          )
        })
      )
      const listenForever = Effect.gen(function* () {
        let waitMillis = restart.firstMillis
        while (true) {
          const startedAt = yield* Clock.currentTimeMillis
          const exit = yield* Effect.exit(session)
          if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return
          if (!(yield* Deferred.isDone(firstListen))) {
            return yield* Deferred.failCause(firstListen, Exit.isFailure(exit) ? exit.cause : Cause.empty)
          }
          // A LISTEN that held for a while dropped: the next try goes soon again.
          if ((yield* Clock.currentTimeMillis) - startedAt > restart.maxMillis)
            waitMillis = restart.firstMillis
          yield* Effect.logWarning(
            `LISTEN ${channel} stopped; restarting in ${waitMillis} ms (caches meanwhile rely on their TTL, readers on polling)`,
            Exit.isFailure(exit) ? exit.cause : "the notification stream ended"
          )
          yield* Effect.sleep(waitMillis)
          waitMillis = Math.min(waitMillis * 2, restart.maxMillis)
        }
      })
      yield* Effect.forkScoped(listenForever)
      yield* Deferred.await(firstListen).pipe(Effect.orDie)

      const broadcast = Effect.flatMap(signal.takePendingBroadcast, (types) =>
        types === undefined
          ? Effect.void
          : pg.notify(channel, `${node}|${[...types].join(",")}`.slice(0, maxPayload)).pipe(Effect.ignore)
      )
      yield* broadcast.pipe(Effect.andThen(Effect.sleep(broadcastMillis)), Effect.forever, Effect.forkScoped)
    })
  )

/** SqlClient with the schema migrated, plus the append signal readers and caches wait on. */
export const layer = (config: DatabaseConfig) => {
  const client =
    config._tag === "postgres"
      ? PgClient.layer({ url: Redacted.make(config.url), maxConnections: config.maxConnections ?? 20 })
      : PgliteClient.layer({ dataDir: config.dataDir, loadDataDir: config.loadDataDir })
  const migrated = Layer.effectDiscard(migrate).pipe(Layer.provideMerge(client))
  const appendSignal = AppendSignal.layerWith({ cacheTtlMillis: config.cacheTtlMillis })
  const signal =
    config._tag === "postgres"
      ? crossNodeSignal(config.listenRestart ?? defaultListenRestart).pipe(
          Layer.provideMerge(appendSignal),
          Layer.provide(migrated)
        )
      : appendSignal
  return Layer.merge(migrated, signal)
}
