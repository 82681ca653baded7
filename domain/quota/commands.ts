import { Schema } from "effect"
import { Instant } from "../shared/ids.ts"
import { MonthLabel } from "./events.ts"

const Limit = Schema.NullOr(Schema.Int)

/**
 * What the rollups say a tenant used in `month`, against its plan's limits: records each
 * threshold newly reached. `tenantLive` is read from the tenant's stream (guarded): a
 * deleted tenant's late records reach no threshold.
 */
export const RecordMonthUsage = Schema.TaggedStruct("RecordMonthUsage", {
  month: MonthLabel,
  requests: Schema.Int,
  bytesOut: Schema.Int,
  maxRequestsPerMonth: Limit,
  maxBandwidthBytesPerMonth: Limit,
  tenantLive: Schema.Boolean,
  at: Instant
})

export const QuotaCommand = Schema.Union([RecordMonthUsage])
export type QuotaCommand = typeof QuotaCommand.Type
