import { readFile } from "node:fs/promises"
import { Effect, Layer } from "effect"
import * as LogsDatabase from "../../adapters/sql/logs/LogsDatabase.ts"
import * as SqlRequestLogs from "../../adapters/sql/logs/SqlRequestLogs.ts"
import type { RequestLogs } from "../../application/ports/RequestLogs.ts"
import { freshPostgresDatabase } from "./databases.ts"
import { pgliteLogsTemplatePath } from "./paths.ts"
import { postgresUrl } from "./services.ts"

/** A fresh, migrated logs database on an engine, for the layer's lifetime. */
export const freshLogsDatabase = (
  engine: "pglite" | "postgres"
): Layer.Layer<LogsDatabase.LogsSql, unknown> =>
  engine === "pglite" || postgresUrl === undefined
    ? Layer.unwrap(
        Effect.promise(() => readFile(pgliteLogsTemplatePath)).pipe(
          Effect.map((bytes) => LogsDatabase.layer({ _tag: "pglite", loadDataDir: new Blob([bytes]) }))
        )
      )
    : Layer.unwrap(
        Effect.map(freshPostgresDatabase(postgresUrl), (url) => LogsDatabase.layer({ _tag: "postgres", url }))
      )

export interface LogsTarget {
  readonly name: "pglite" | "postgres"
  /** A fresh logs database and the port over it, for the layer's lifetime. */
  readonly layer: () => Layer.Layer<RequestLogs | LogsDatabase.LogsSql, unknown>
}

const target = (name: "pglite" | "postgres"): LogsTarget => ({
  name,
  layer: () => SqlRequestLogs.layer.pipe(Layer.provideMerge(freshLogsDatabase(name)))
})

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and requires it). */
export const logsTargets: ReadonlyArray<LogsTarget> = [
  target("pglite"),
  ...(postgresUrl === undefined ? [] : [target("postgres")])
]
