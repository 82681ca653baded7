import { mkdir } from "node:fs/promises"
import { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { Context, Effect, Layer, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import type { Connection } from "effect/sql/SqlConnection"
import { toSqlError } from "./sqlState.ts"

/**
 * A `SqlClient` over an in-process PGlite (PostgreSQL compiled to WASM): the embedded
 * default, speaking the same SQL as `@effect/sql-pg`. PGlite is one connection, so a
 * one-permit lock hands it to one statement or transaction at a time.
 */
export class Pglite extends Context.Service<Pglite, PGlite>()("tenantry/adapters/sql/Pglite") {}

const run = (db: PGlite, sql: string, params: ReadonlyArray<unknown>, operation: string) =>
  Effect.tryPromise({
    try: () => db.query<Record<string, unknown>>(sql, params as Array<unknown>),
    catch: (cause) => toSqlError(cause, operation)
  })

const makeConnection = (db: PGlite): Connection => {
  const execute = (
    sql: string,
    params: ReadonlyArray<unknown>,
    transform?: <A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>
  ) =>
    Effect.map(run(db, sql, params, "execute"), (result) =>
      transform ? transform(result.rows as ReadonlyArray<object>) : result.rows
    )
  const values = (sql: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({
      try: () => db.query<Array<unknown>>(sql, params as Array<unknown>, { rowMode: "array" }),
      catch: (cause) => toSqlError(cause, "executeValues")
    }).pipe(Effect.map((result) => result.rows))
  return {
    execute,
    executeUnprepared: execute,
    executeRaw: (sql, params) => run(db, sql, params, "executeRaw"),
    executeValues: values,
    executeValuesUnprepared: values,
    executeStream: (sql, params, transform) =>
      Stream.fromIterableEffect(
        execute(sql, params, transform) as Effect.Effect<ReadonlyArray<unknown>, never>
      )
  }
}

/** Builds the SqlClient (and PgClient-compatible compiler) over an open PGlite. */
export const makePgliteSqlClient = Effect.fnUntraced(function* (db: PGlite) {
  const connection = makeConnection(db)
  const semaphore = yield* Semaphore.make(1)
  const acquirers = SqlClient.makeSqliteAcquirers({
    connection: Effect.succeed(connection),
    semaphore,
    isTransaction: () => db.isInTransaction()
  })
  return yield* SqlClient.make({
    ...acquirers,
    driver: "pglite",
    compiler: PgClient.makeCompiler(),
    spanAttributes: [["db.system.name", "postgresql"]]
  })
})

/** Opens PGlite at `dataDir` (in memory when undefined, or from a dump) for the layer's lifetime. */
export const layer = (
  options: { readonly dataDir?: string | undefined; readonly loadDataDir?: Blob | undefined } = {}
) =>
  Layer.effectContext(
    Effect.gen(function* () {
      const db = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
          return PGlite.create(
            options.dataDir,
            options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }
          )
        }),
        (db) => Effect.promise(() => db.close())
      )
      const client = yield* makePgliteSqlClient(db)
      return Context.make(SqlClient.SqlClient, client).pipe(Context.add(Pglite, db))
    })
  ).pipe(Layer.provide(Reactivity.layer))
