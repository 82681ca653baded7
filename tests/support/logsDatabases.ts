import { Effect, Layer } from "effect"
import * as LogsDatabase from "../../adapters/sql/logs/LogsDatabase.ts"
import * as SqlRequestLogs from "../../adapters/sql/logs/SqlRequestLogs.ts"
import type { RequestLogs } from "../../application/ports/RequestLogs.ts"
import { freshPostgresDatabase } from "./databases.ts"
import { postgresUrl } from "./services.ts"

export interface LogsTarget {
  readonly name: "pglite" | "postgres"
  /** A fresh, migrated logs database and the port over it, for the layer's lifetime. */
  readonly layer: () => Layer.Layer<RequestLogs | LogsDatabase.LogsSql, unknown>
}

const on = (database: Layer.Layer<LogsDatabase.LogsSql, unknown>) =>
  SqlRequestLogs.layer.pipe(Layer.provideMerge(database))

const pglite: LogsTarget = {
  name: "pglite",
  layer: () => on(LogsDatabase.layer({ _tag: "pglite" }))
}

const postgres = (url: string): LogsTarget => ({
  name: "postgres",
  layer: () =>
    on(
      Layer.unwrap(
        Effect.map(freshPostgresDatabase(url), (database) =>
          LogsDatabase.layer({ _tag: "postgres", url: database })
        )
      )
    )
})

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and requires it). */
export const logsTargets: ReadonlyArray<LogsTarget> = [
  pglite,
  ...(postgresUrl === undefined ? [] : [postgres(postgresUrl)])
]
