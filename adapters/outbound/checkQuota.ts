import { Layer } from "effect"
import { CheckQuota } from "../../application/ports/CheckQuota.ts"
import { type RateLimit, tokenBuckets } from "../http/rateLimit.ts"

/** Per node: a tenant runs 10 checks at once, then one every 6 seconds (CHECK_RATE_LIMIT). */
export const defaultCheckRateLimit: RateLimit = { burst: 10, perSecond: 1 / 6 }

/** The checks' quota on the same token buckets as the receivers' rate limits (in this node's memory). */
export const layer = (limit: RateLimit) => {
  const buckets = tokenBuckets(limit, { maxKeys: 100_000 })
  return Layer.succeed(CheckQuota, CheckQuota.of({ take: (tenantId) => buckets.take(tenantId) }))
}
