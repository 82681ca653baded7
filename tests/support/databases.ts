import { readFile } from "node:fs/promises"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import * as Database from "../../adapters/sql/Database.ts"
import { pgliteTemplatePath } from "./paths.ts"
import { postgresUrl } from "./services.ts"

export interface DatabaseTarget {
  readonly name: "pglite" | "postgres"
  /** A fresh, migrated database for the layer's lifetime. */
  readonly layer: () => ReturnType<typeof Database.layer>
}

const pgliteLayer = () =>
  Layer.unwrap(
    Effect.promise(() => readFile(pgliteTemplatePath)).pipe(
      Effect.map((bytes) => Database.layer({ _tag: "pglite", loadDataDir: new Blob([bytes]) }))
    )
  )

const withDatabase = (url: string, name: string) => {
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return parsed.toString()
}

const admin = <A>(url: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* f(sql)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

/** A new database on the PostgreSQL server at `url`, dropped when the scope closes: its URL. */
export const freshPostgresDatabase = (url: string) =>
  Effect.gen(function* () {
    const name = `tenantry_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    yield* Effect.acquireRelease(
      admin(url, (sql) => sql.unsafe(`CREATE DATABASE ${name}`)),
      () =>
        // A server started on it makes its logs database beside it (`{name}_logs`): that goes too.
        admin(url, (sql) =>
          Effect.andThen(
            sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
            sql.unsafe(`DROP DATABASE IF EXISTS ${name}_logs WITH (FORCE)`)
          )
        ).pipe(Effect.ignore)
    )
    return withDatabase(url, name)
  })

/** A database of its own on the PostgreSQL server, dropped when the layer is released. */
const postgresLayer = (url: string) =>
  Layer.unwrap(
    Effect.map(freshPostgresDatabase(url), (database) =>
      Database.layer({ _tag: "postgres", url: database, maxConnections: 40 })
    )
  )

const postgres = (url: string): DatabaseTarget => ({ name: "postgres", layer: () => postgresLayer(url) })

export const pglite: DatabaseTarget = { name: "pglite", layer: pgliteLayer }

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it and requires it). */
export const databaseTargets: ReadonlyArray<DatabaseTarget> = [
  pglite,
  ...(postgresUrl === undefined ? [] : [postgres(postgresUrl)])
]
