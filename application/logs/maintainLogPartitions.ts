import { Clock, Effect } from "effect"
import { RequestLogs } from "../ports/RequestLogs.ts"
import { LogsConfig } from "./LogsConfig.ts"

/**
 * Partition upkeep of the logs database, Tenantry's own job (no principal: nothing a user
 * asks for): the partitions of today and the next days exist, those wholly older than
 * `LOG_RETENTION_DAYS` are dropped with their records. Ingestion also makes a missing day's
 * partition on the spot, so a record never fails for want of one; this keeps that rare and
 * does the dropping. Idempotent: run it as often as you like.
 */
export const maintainLogPartitions = Effect.fn("maintainLogPartitions")(function* () {
  const logs = yield* RequestLogs
  const config = yield* LogsConfig
  const now = new Date(yield* Clock.currentTimeMillis)
  const result = yield* logs.maintain({
    now,
    retentionDays: config.retentionDays,
    aheadDays: config.partitionsAheadDays
  })
  if (result.created.length > 0 || result.dropped.length > 0) {
    yield* Effect.logInfo(
      `request_logs partitions: created ${result.created.join(", ") || "none"}; dropped ${result.dropped.join(", ") || "none"}`
    )
  }
  return result
})
