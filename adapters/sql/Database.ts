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

/** Wakes this node's readers when another node appends (PostgreSQL NOTIFY from the events trigger). */
const listenForAppends = Layer.effectDiscard(
  Effect.gen(function* () {
    const pg = yield* PgClient.PgClient
    const signal = yield* AppendSignal
    const notifications = yield* pg.listen("tenantry_events")
    yield* Stream.fromQueue(notifications).pipe(
      Stream.runForEach(() => signal.signal),
      Effect.tapCause((cause) =>
        Effect.logWarning("LISTEN tenantry_events stopped; readers fall back to polling", cause)
      ),
      Effect.ignore,
      Effect.forkScoped
    )
  })
)

/** SqlClient with the schema migrated, plus the append signal readers wait on. */
export const layer = (config: DatabaseConfig) => {
  const client =
    config._tag === "postgres"
      ? PgClient.layer({ url: Redacted.make(config.url), maxConnections: config.maxConnections ?? 10 })
      : PgliteClient.layer({ dataDir: config.dataDir, loadDataDir: config.loadDataDir })
  const migrated = Layer.effectDiscard(migrate).pipe(Layer.provideMerge(client))
  const signal =
    config._tag === "postgres"
      ? listenForAppends.pipe(Layer.provideMerge(AppendSignal.layer), Layer.provide(migrated))
      : AppendSignal.layer
  return Layer.merge(migrated, signal)
}
