import { Result } from "effect"
import { newCrossings } from "../analytics/quota.ts"
import type { QuotaCommand, RecordMonthUsage } from "./commands.ts"
import type { QuotaEvent } from "./events.ts"
import type { QuotaState } from "./state.ts"

/** Nothing refuses: a threshold already recorded, or a tenant gone, simply records nothing. */
export type QuotaError = never

const record = (command: typeof RecordMonthUsage.Type, state: QuotaState) => {
  if (!command.tenantLive) return []
  return newCrossings(
    command.month,
    { requests: command.requests, bytesOut: command.bytesOut, bytesFromOrigin: 0 },
    {
      maxRequestsPerMonth: command.maxRequestsPerMonth,
      maxBandwidthBytesPerMonth: command.maxBandwidthBytesPerMonth
    },
    new Set(state.recorded)
  ).map(
    (crossing): QuotaEvent => ({
      _tag: "QuotaThresholdReached",
      month: command.month,
      metric: crossing.metric,
      threshold: crossing.threshold,
      used: crossing.used,
      limit: crossing.limit,
      at: command.at
    })
  )
}

/** One command so far: `RecordMonthUsage`. */
export const decide = (
  command: QuotaCommand,
  state: QuotaState
): Result.Result<ReadonlyArray<QuotaEvent>, QuotaError> => Result.succeed(record(command, state))
