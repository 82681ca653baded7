import { Schema } from "effect"

/** Broken rules, each with a stable code; HTTP statuses are the adapter's business. */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {}) {
  readonly code = "tenant_not_found"
}

export class TenantAlreadyExists extends Schema.TaggedError<TenantAlreadyExists>()(
  "TenantAlreadyExists",
  {}
) {
  readonly code = "tenant_already_exists"
}

/** Everything the tenant decider can refuse with. */
export type TenantError = TenantNotFound | TenantAlreadyExists
