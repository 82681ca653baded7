import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Instant } from "../shared/ids.ts"

export const QuotaMetric = Schema.Literals(["requests", "bandwidth"])
export const QuotaThreshold = Schema.Literals([80, 100])
export const MonthLabel = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])$/)))

/**
 * A tenant's usage in `month` (UTC, YYYY-MM) reached `threshold` % of its plan's monthly
 * `limit` on `metric` (requests, or bytes sent to clients for bandwidth): recorded once per
 * month, metric and threshold, by Tenantry itself, in the stream `quota-{tenantId}`.
 */
export const QuotaThresholdReached = Schema.TaggedStruct("QuotaThresholdReached", {
  month: MonthLabel,
  metric: QuotaMetric,
  threshold: QuotaThreshold,
  used: Schema.Int,
  limit: Schema.Int,
  at: Instant
})

export const QuotaEvent = Schema.Union([QuotaThresholdReached])
export type QuotaEvent = typeof QuotaEvent.Type

export const quotaEvents: EventCatalog<QuotaEvent> = {
  schema: QuotaEvent,
  schemaVersions: { QuotaThresholdReached: 1 },
  upcasters: {},
  sealedFields: {}
}
