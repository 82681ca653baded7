import { Schema } from "effect"

/** The tenant has no live domain with this hostname (never added, removed, or another tenant's). */
export class CustomDomainNotFound extends Schema.TaggedError<CustomDomainNotFound>()("CustomDomainNotFound", {
  hostname: Schema.String
}) {
  readonly code = "custom_domain_not_found"
}

/** A live tenant holds the hostname already (this one or another): one hostname, one live tenant. */
export class HostnameTaken extends Schema.TaggedError<HostnameTaken>()("HostnameTaken", {
  hostname: Schema.String
}) {
  readonly code = "hostname_taken"
}
