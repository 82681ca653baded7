import { describe, expect, it } from "vitest"
import {
  monthsOverQuota,
  type QuotaCommand,
  type QuotaEvent,
  quotaDecider
} from "../../../domain/quota/index.ts"
import { given } from "../../support/decider.ts"

/** A tenant's quota stream (`quota-{id}`): each threshold of each limit recorded once per month. */

const at = "2026-12-20T10:00:00.000Z"

const usage = (requests: number, bytesOut = 0, month = "2026-12", tenantLive = true): QuotaCommand => ({
  _tag: "RecordMonthUsage",
  month,
  requests,
  bytesOut,
  maxRequestsPerMonth: 1000,
  maxBandwidthBytesPerMonth: 10_000,
  tenantLive,
  at
})

const reached = (
  metric: "requests" | "bandwidth",
  threshold: 80 | 100,
  used: number,
  month = "2026-12"
): QuotaEvent => ({
  _tag: "QuotaThresholdReached",
  month,
  metric,
  threshold,
  used,
  limit: metric === "requests" ? 1000 : 10_000,
  at
})

describe("RecordMonthUsage", () => {
  it("given no crossing yet, when usage stays under 80 %, then nothing is recorded", () => {
    given(quotaDecider).when(usage(799, 7999)).thenNothing()
  })

  it("given no crossing yet, when requests reach 80 %, then 80 % of the request limit is recorded", () => {
    given(quotaDecider)
      .when(usage(800))
      .then(reached("requests", 80, 800))
  })

  it("given 80 % recorded, when requests are still between 80 % and 100 %, then nothing more is recorded", () => {
    given(quotaDecider, reached("requests", 80, 800))
      .when(usage(950))
      .thenNothing()
  })

  it("given 80 % recorded, when requests reach 100 %, then only 100 % is recorded; again later, nothing", () => {
    const state = given(quotaDecider, reached("requests", 80, 800))
      .when(usage(1000))
      .then(reached("requests", 100, 1000))
    expect(monthsOverQuota(state)).toEqual(new Set(["2026-12"]))
    given(quotaDecider, reached("requests", 80, 800), reached("requests", 100, 1000))
      .when(usage(5000))
      .thenNothing()
  })

  it("given nothing recorded, when a batch jumps past both thresholds of both limits, then all four are recorded, lowest first", () => {
    given(quotaDecider)
      .when(usage(1200, 20_000))
      .then(
        reached("requests", 80, 1200),
        reached("requests", 100, 1200),
        reached("bandwidth", 80, 20_000),
        reached("bandwidth", 100, 20_000)
      )
  })

  it("given last month's crossings, when this month reaches 80 %, then it is recorded again for this month", () => {
    given(quotaDecider, reached("requests", 80, 800, "2026-11"))
      .when(usage(800))
      .then(reached("requests", 80, 800))
  })

  it("given a deleted tenant, when its late usage passes a limit, then nothing is recorded", () => {
    given(quotaDecider)
      .when(usage(5000, 0, "2026-12", false))
      .thenNothing()
  })
})
