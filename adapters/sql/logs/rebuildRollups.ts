import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import { topPathsPerDay } from "../../../domain/analytics/index.ts"
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
 * ingestion keeps up to date in the insert's transaction). For repairs and for loading bulk data
 * (the analytics bench); the tests hold ingestion's tables equal to a rebuild. The records of
 * days already dropped by retention are gone, so a rebuild loses those days' rollups.
 */
export const rebuildRollups = (sql: SqlClient.SqlClient, scope: RebuildScope) =>
  Effect.gen(function* () {
    const where = "tenantId" in scope ? "tenant_id = $1" : "tenant_id <> $1"
    const tenant = "tenantId" in scope ? scope.tenantId : scope.allBut
    for (const table of rollupTables) yield* sql.unsafe(`DELETE FROM ${table} WHERE ${where}`, [tenant])
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
  })
