import { Context, Schema } from "effect"

/**
 * How often a tenant may run the checks that fetch from outside (website implementation
 * check, cachely-check), so that they cannot be used to scan: a token bucket per tenant.
 */
export class CheckQuota extends Context.Service<
  CheckQuota,
  {
    /** Charges one check to the tenant: 0 when it may run, else the whole seconds to wait. */
    readonly take: (tenantId: string) => number
  }
>()("tenantry/application/ports/CheckQuota") {}

/** The tenant ran too many checks lately; `retryAfter` seconds until the next one may run. */
export class ChecksRateLimited extends Schema.TaggedError<ChecksRateLimited>()("ChecksRateLimited", {
  retryAfter: Schema.Int
}) {
  readonly code = "rate_limited"
}
