import { otherPath, topPathsPerDay } from "../../../domain/analytics/topK.ts"

/**
 * The per-day top-paths table, bounded (domain/analytics/topK.ts): the CTEs that add a
 * batch's `stored` rows to `request_path_rollups_daily` inside the ingest statement (its
 * transaction), admitting new paths only while the tenant's day holds fewer than `cap`,
 * and counting the rest in the day's "other" row. A data-modifying CTE reads the table as
 * it was before the statement, so `held` is the count before this batch.
 */
export const topPathsUpsert = (cap: number = topPathsPerDay) => `
  paths_batch AS (
    SELECT tenant_id, (ts AT TIME ZONE 'UTC')::date AS day, path, count(*) AS requests, sum(bytes_out) AS bytes_out
    FROM stored GROUP BY 1, 2, 3
  ),
  paths_held AS (
    SELECT t.tenant_id, t.day, count(*) FILTER (WHERE t.path <> '${otherPath}') AS held
    FROM request_path_rollups_daily t
    JOIN (SELECT DISTINCT tenant_id, day FROM paths_batch) d ON d.tenant_id = t.tenant_id AND d.day = t.day
    GROUP BY 1, 2
  ),
  paths_ranked AS (
    SELECT b.tenant_id, b.day, b.path, b.requests, b.bytes_out, (t.path IS NOT NULL) AS known,
      coalesce(h.held, 0) AS held,
      row_number() OVER (PARTITION BY b.tenant_id, b.day, (t.path IS NOT NULL) ORDER BY b.requests DESC, b.path) AS rank
    FROM paths_batch b
    LEFT JOIN request_path_rollups_daily t ON t.tenant_id = b.tenant_id AND t.day = b.day AND t.path = b.path
    LEFT JOIN paths_held h ON h.tenant_id = b.tenant_id AND h.day = b.day
  ),
  paths_daily AS (
    INSERT INTO request_path_rollups_daily (tenant_id, day, path, requests, bytes_out)
    SELECT tenant_id, day, CASE WHEN known OR held + rank <= ${cap} THEN path ELSE '${otherPath}' END,
      sum(requests), sum(bytes_out)
    FROM paths_ranked GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, day, path) DO UPDATE SET
      requests = request_path_rollups_daily.requests + excluded.requests,
      bytes_out = request_path_rollups_daily.bytes_out + excluded.bytes_out
    RETURNING 1
  )`
