import fc from "fast-check"
import type { QuotaCommand, QuotaEvent } from "../../../domain/quota/index.ts"
import { timed } from "./shared.ts"

/** Commands and events of a tenant's quota stream (`quota-{tenantId}`). */

const monthArb = fc
  .tuple(fc.integer({ min: 2020, max: 2030 }), fc.integer({ min: 1, max: 12 }))
  .map(([year, month]) => `${year}-${String(month).padStart(2, "0")}`)
const limitArb = fc.option(fc.integer({ min: 0, max: 1_000_000_000 }), { nil: null })

export const quotaCommandArb: fc.Arbitrary<QuotaCommand> = timed(
  fc.record({
    _tag: fc.constant("RecordMonthUsage" as const),
    month: monthArb,
    requests: fc.integer({ min: 0, max: 2_000_000_000 }),
    bytesOut: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    maxRequestsPerMonth: limitArb,
    maxBandwidthBytesPerMonth: limitArb,
    tenantLive: fc.constantFrom(true, true, true, false)
  })
)

export const quotaEventArb: fc.Arbitrary<QuotaEvent> = timed(
  fc.record({
    _tag: fc.constant("QuotaThresholdReached" as const),
    month: monthArb,
    metric: fc.constantFrom("requests" as const, "bandwidth" as const),
    threshold: fc.constantFrom(80 as const, 100 as const),
    used: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    limit: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
  })
)
