import { Clock, Effect } from "effect"
import { RequestLogs } from "../ports/RequestLogs.ts"
import { ScheduleStore } from "../ports/ScheduleStore.ts"
import type { ScheduledJob } from "../schedulers/runScheduler.ts"
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

/** The scheduler's job for the upkeep: one key, run at start and every six hours after. */
export const logPartitionsJob = "log-partitions"
const logPartitionsKey = "request_logs"
const upkeepEveryMillis = 6 * 60 * 60 * 1000

export const logPartitions: ScheduledJob<RequestLogs | LogsConfig> = {
  name: logPartitionsJob,
  run: () =>
    maintainLogPartitions().pipe(
      Effect.catchCause((cause) =>
        Effect.logWarning("request_logs partition upkeep failed; next try later", cause)
      ),
      Effect.andThen(Clock.currentTimeMillis),
      Effect.map((now) => ({ dueAt: now + upkeepEveryMillis, attempt: 0 }))
    )
}

/** Makes the upkeep due now (at every start: a node that was down long catches up at once). */
export const scheduleLogPartitions = Effect.gen(function* () {
  const store = yield* ScheduleStore
  yield* store.schedule(logPartitionsJob, logPartitionsKey, {
    dueAt: yield* Clock.currentTimeMillis,
    attempt: 0
  })
})
