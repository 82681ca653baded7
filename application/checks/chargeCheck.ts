import { Effect } from "effect"
import { CheckQuota, ChecksRateLimited } from "../ports/CheckQuota.ts"

/** Charges one outbound check to the tenant, or refuses it (429 with Retry-After). */
export const chargeCheck = (tenantId: string) =>
  Effect.flatMap(CheckQuota, (quota) => {
    const wait = quota.take(tenantId)
    return wait > 0 ? Effect.fail(new ChecksRateLimited({ retryAfter: wait })) : Effect.void
  })
