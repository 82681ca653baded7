import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Top-k (analytics): the top lists read the per-day tables only, and the per-day path table
 * is bounded (domain/analytics/topK.ts: at most 500 paths per tenant and day, the rest in
 * an "other" row `''`). The hourly path rollup held one row per distinct path per hour,
 * without bound, and nothing needs it: it goes. (Countries are bounded by nature; their
 * hourly and daily tables stay.)
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`DROP TABLE IF EXISTS request_path_rollups_hourly`
})
