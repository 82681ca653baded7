import { randomBytes } from "node:crypto"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, Stream } from "effect"
import { AppendSignal } from "./AppendSignal.ts"
import { migrate } from "./migrations/index.ts"
import * as PgliteClient from "./PgliteClient.ts"

/** Where the log and read models live: PostgreSQL at a URL, or PGlite in a directory (in memory without one). */
export type DatabaseConfig =
  | { readonly _tag: "postgres"; readonly url: string; readonly maxConnections?: number }
  | {
      readonly _tag: "pglite"
      readonly dataDir?: string | undefined
      readonly loadDataDir?: Blob | undefined
    }

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
 */
const crossNodeSignal = Layer.effectDiscard(
  Effect.gen(function* () {
    const pg = yield* PgClient.PgClient
    const signal = yield* AppendSignal
    const node = randomBytes(8).toString("hex")
    const notifications = yield* pg.listen(channel)
    const heard = (payload: string) => {
      const separator = payload.indexOf("|")
      if (separator === -1) return signal.signal(undefined)
      if (payload.slice(0, separator) === node) return Effect.void
      const types = payload.slice(separator + 1)
      return signal.signal(types === "" ? undefined : types.split(","))
    }
    yield* Stream.fromQueue(notifications).pipe(
      Stream.runForEach((notification) => heard(notification.payload)),
      Effect.tapCause((cause) =>
        Effect.logWarning(`LISTEN ${channel} stopped; readers fall back to polling`, cause)
      ),
      Effect.ignore,
      Effect.forkScoped
    )
    const broadcast = Effect.flatMap(signal.takePendingBroadcast, (types) =>
      types === undefined
        ? Effect.void
        : pg.notify(channel, `${node}|${[...types].join(",")}`.slice(0, maxPayload)).pipe(Effect.ignore)
    )
    yield* broadcast.pipe(Effect.andThen(Effect.sleep(broadcastMillis)), Effect.forever, Effect.forkScoped)
  })
)

/** SqlClient with the schema migrated, plus the append signal readers wait on. */
export const layer = (config: DatabaseConfig) => {
  const client =
    config._tag === "postgres"
      ? PgClient.layer({ url: Redacted.make(config.url), maxConnections: config.maxConnections ?? 20 })
      : PgliteClient.layer({ dataDir: config.dataDir, loadDataDir: config.loadDataDir })
  const migrated = Layer.effectDiscard(migrate).pipe(Layer.provideMerge(client))
  const signal =
    config._tag === "postgres"
      ? crossNodeSignal.pipe(Layer.provideMerge(AppendSignal.layer), Layer.provide(migrated))
      : AppendSignal.layer
  return Layer.merge(migrated, signal)
}
