import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as PgliteClient from "../PgliteClient.ts"
import { migrateLogs } from "./migrations/index.ts"

/**
 * The logs database: request logs are telemetry, not events, and bulk inserts of them must
 * never hold back the event log's read horizon (a long insert transaction in the event
 * store's database would), so they live in a database of their own, with its own client
 * and migrations. `LOGS_DATABASE_URL` names it; unset, it is a second database on the
 * server of `DATABASE_URL` (`{name}_logs`, created when missing), or a second PGlite under
 * `DATA_DIR` (`pglite-logs`).
 */
export class LogsSql extends Context.Service<LogsSql, SqlClient.SqlClient>()(
  "tenantry/adapters/sql/logs/LogsSql"
) {}

export type LogsDatabaseConfig =
  | {
      readonly _tag: "postgres"
      readonly url: string
      /** Create the database when it does not exist (the `{name}_logs` default). */
      readonly create?: boolean | undefined
      readonly maxConnections?: number | undefined
    }
  | {
      readonly _tag: "pglite"
      /** In memory when undefined. */
      readonly dataDir?: string | undefined
      /** Start from this dump (a migrated template, for tests). */
      readonly loadDataDir?: Blob | undefined
    }

/** `{name}_logs` on the same server as the event store's database. */
export const siblingLogsUrl = (databaseUrl: string): string => {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres"
  url.pathname = `/${encodeURIComponent(`${name}_logs`)}`
  return url.toString()
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Creates the database `url` names when missing, through the server's `postgres` database. */
const ensureDatabase = (url: string) =>
  Effect.gen(function* () {
    const target = new URL(url)
    const name = decodeURIComponent(target.pathname.replace(/^\//, ""))
    const admin = new URL(url)
    admin.pathname = "/postgres"
    yield* Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const found = yield* sql<{
        readonly one: number
      }>`SELECT 1 AS one FROM pg_database WHERE datname = ${name}`
      if (found.length > 0) return
      // Two nodes starting at once: the loser's CREATE fails with duplicate_database (42P04).
      yield* sql.unsafe(`CREATE DATABASE ${quoteIdentifier(name)}`).pipe(
        Effect.catchIf(
          (error) => JSON.stringify(error).includes("42P04") || String(error).includes("already exists"),
          () => Effect.void
        )
      )
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(admin.toString()), maxConnections: 1 })))
  }).pipe(Effect.orDie)

const clientLayer = (config: LogsDatabaseConfig): Layer.Layer<SqlClient.SqlClient, unknown> =>
  config._tag === "postgres"
    ? Layer.unwrap(
        Effect.as(
          config.create === true ? ensureDatabase(config.url) : Effect.void,
          PgClient.layer({ url: Redacted.make(config.url), maxConnections: config.maxConnections ?? 10 })
        )
      )
    : PgliteClient.layer({ dataDir: config.dataDir, loadDataDir: config.loadDataDir })

/** The logs database's client, migrated. */
export const layer = (config: LogsDatabaseConfig): Layer.Layer<LogsSql, unknown> =>
  Layer.effect(
    LogsSql,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* migrateLogs.pipe(Effect.provideService(SqlClient.SqlClient, sql))
      return sql
    })
  ).pipe(Layer.provide(clientLayer(config)))
