import { mkdir, writeFile } from "node:fs/promises"
import { PGlite } from "@electric-sql/pglite"
import { Effect, Layer } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import { migrateLogs } from "../../adapters/sql/logs/migrations/index.ts"
import { migrate } from "../../adapters/sql/migrations/index.ts"
import { makePgliteSqlClient } from "../../adapters/sql/PgliteClient.ts"
import { pgliteLogsTemplatePath, pgliteTemplatePath } from "./paths.ts"
import { requirePostgres, requireRedis } from "./services.ts"

/**
 * Once per run: a migrated PGlite, dumped, so each test file opens a fresh database in
 * a fraction of initdb's time; and, under CI, a loud failure when PostgreSQL or Redis
 * is unreachable rather than a quiet skip.
 */
export default async function setup() {
  await requirePostgres()
  await requireRedis()
  const db = await PGlite.create()
  await Effect.runPromise(
    Effect.gen(function* () {
      const client = yield* makePgliteSqlClient(db)
      yield* migrate.pipe(Effect.provideService(SqlClient.SqlClient, client))
    }).pipe(Effect.provide(Layer.mergeAll(Reactivity.layer)))
  )
  const dump = await db.dumpDataDir("gzip")
  await db.close()
  await mkdir(new URL(".", pgliteTemplatePath), { recursive: true })
  await writeFile(pgliteTemplatePath, new Uint8Array(await dump.arrayBuffer()))
  await writeLogsTemplate()
}

/** The same for the logs database (its own migration set). */
const writeLogsTemplate = async () => {
  const db = await PGlite.create()
  await Effect.runPromise(
    Effect.gen(function* () {
      const client = yield* makePgliteSqlClient(db)
      yield* migrateLogs.pipe(Effect.provideService(SqlClient.SqlClient, client))
    }).pipe(Effect.provide(Layer.mergeAll(Reactivity.layer)))
  )
  const dump = await db.dumpDataDir("gzip")
  await db.close()
  await writeFile(pgliteLogsTemplatePath, new Uint8Array(await dump.arrayBuffer()))
}
