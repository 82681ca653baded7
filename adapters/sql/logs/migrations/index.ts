import { Effect } from "effect"
import { Migrator } from "effect/sql"
import requestLogs from "./0001_request_logs.ts"
import topK from "./0002_top_k.ts"

/**
 * The logs database's schema changes, in order: a migration set of its own, numbered apart
 * from the event store's (adapters/sql/migrations), recorded in `tenantry_logs_migrations`.
 */
export const logsMigrations = {
  "0001_request_logs": requestLogs,
  "0002_top_k": topK
}

export const migrateLogs = Migrator.make({})({
  loader: Migrator.fromRecord(logsMigrations),
  table: "tenantry_logs_migrations"
}).pipe(Effect.orDie)
