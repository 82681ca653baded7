import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import { topPathsPerDay } from "../../../domain/analytics/index.ts"
import { existingPartitions } from "./partitions.ts"
import { counterAggregates, counterColumns } from "./SqlRequestLogs.ts"

/** Which tenants' rollups to rebuild: one tenant, or every tenant but one. */
export type RebuildScope = { readonly tenantId: string } | { readonly allBut: string }

/** Every table ingestion keeps beside the raw records. */
export const rollupTables = [
  "request_rollups_hourly",
  "request_rollups_daily",
  "request_path_rollups_daily",
  "request_country_rollups_hourly",
  "request_country_rollups_daily"
] as const

/**
 * Every rollup and top-k table of the tenants in `scope`, rebuilt from their raw records (what
 * ingestion keeps up to date in the insert's transaction). For repairs (`tenantry logs
 * rebuild-rollups`) and for loading bulk data (the analytics bench); the tests hold ingestion's
 * tables equal to a rebuild. Days already dropped by retention have no records left: their
 * rollups are kept, not rebuilt.
 *
 * One transaction, and it holds `request_logs` in SHARE ROW EXCLUSIVE mode (which conflicts with
 * itself, so rebuilds run one at a time): ingestion (one statement that
 * inserts into it) waits for the rebuild instead of adding to rows being rebuilt or racing a
 * rebuilt row's insert; readers of the rollups see the old rows until the commit.
 */
export const rebuildRollups = (sql: SqlClient.SqlClient, scope: RebuildScope) =>
  Effect.gen(function* () {
    yield* sql.unsafe("LOCK TABLE request_logs IN SHARE ROW EXCLUSIVE MODE")
    const where = "tenantId" in scope ? "tenant_id = $1" : "tenant_id <> $1"
    const tenant = "tenantId" in scope ? scope.tenantId : scope.allBut
    // Only the days that still have their partition: a partition is dropped whole, so those
    // days' records are all there, and the rollups of days retention dropped stay as they are.
    const days = `{${[...(yield* existingPartitions(sql))].join(",")}}`
    for (const table of rollupTables) {
      const dayOf = table.endsWith("_hourly") ? "(hour AT TIME ZONE 'UTC')::date" : "day"
      yield* sql.unsafe(`DELETE FROM ${table} WHERE ${where} AND ${dayOf} = ANY($2::date[])`, [tenant, days])
    }
    for (const [table, column, expression] of [
      ["request_rollups_hourly", "hour", "date_trunc('hour', ts, 'UTC')"],
      ["request_rollups_daily", "day", "(ts AT TIME ZONE 'UTC')::date"]
    ] as const) {
      yield* sql.unsafe(
        `INSERT INTO ${table} (tenant_id, ${column}, surface, ${counterColumns.join(", ")})
         SELECT tenant_id, ${expression}, surface, ${counterAggregates.join(", ")}
         FROM request_logs WHERE ${where} GROUP BY 1, 2, 3`,
        [tenant]
      )
    }
    for (const [table, column, expression] of [
      ["request_country_rollups_hourly", "hour", "date_trunc('hour', ts, 'UTC')"],
      ["request_country_rollups_daily", "day", "(ts AT TIME ZONE 'UTC')::date"]
    ] as const) {
      yield* sql.unsafe(
        `INSERT INTO ${table} (tenant_id, ${column}, country, requests)
         SELECT tenant_id, ${expression}, coalesce(country, ''), count(*)
         FROM request_logs WHERE ${where} GROUP BY 1, 2, 3`,
        [tenant]
      )
    }
    // The bounded per-day top-paths table: the biggest paths of each tenant and day, the rest in ''.
    yield* sql.unsafe(
      `INSERT INTO request_path_rollups_daily (tenant_id, day, path, requests, bytes_out)
       SELECT tenant_id, day, CASE WHEN rank <= ${topPathsPerDay} THEN path ELSE '' END, sum(requests), sum(bytes_out)
       FROM (SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date AS day, path, count(*) AS requests,
               sum(bytes_out) AS bytes_out,
               row_number() OVER (PARTITION BY tenant_id, (ts AT TIME ZONE 'UTC')::date ORDER BY count(*) DESC, path) AS rank
             FROM request_logs WHERE ${where} GROUP BY 1, 2, 3) ranked
       GROUP BY 1, 2, 3`,
      [tenant]
    )
    const counted = yield* sql.unsafe<{ readonly records: string | number }>(
      `SELECT count(*) AS records FROM request_logs WHERE ${where}`,
      [tenant]
    )
    return { records: Number(counted[0]?.records ?? 0) }
  }).pipe(sql.withTransaction)
