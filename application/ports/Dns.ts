import { Context, type Effect, Schema } from "effect"
import type { DnsAnswer, DnsRecordType } from "../../domain/shared/dns.ts"

export type { DnsAnswer, DnsRecordType }

/** DNS answered that the name has no such records (NXDOMAIN or no data). */
export class DnsNotFound extends Schema.TaggedError<DnsNotFound>()("DnsNotFound", {
  name: Schema.String,
  reason: Schema.Literals(["no_such_name", "no_records"])
}) {}

/** DNS could not be asked (timeout, refused, SERVFAIL): nothing is known about the name. */
export class DnsUnanswered extends Schema.TaggedError<DnsUnanswered>()("DnsUnanswered", {
  name: Schema.String,
  reason: Schema.String
}) {}

/** Looks names up on the configured resolvers (`DNS_SERVERS`), each lookup bounded in time. */
export class Dns extends Context.Service<
  Dns,
  {
    /** Never fails: what DNS said, or that it could not be asked. */
    readonly lookup: (name: string, type: DnsRecordType) => Effect.Effect<DnsAnswer>
    /** The IPv4 addresses of `name` (for outbound fetches that pin the address they checked). */
    readonly resolve4: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsNotFound | DnsUnanswered>
    /** The IPv6 addresses of `name`. */
    readonly resolve6: (name: string) => Effect.Effect<ReadonlyArray<string>, DnsNotFound | DnsUnanswered>
  }
>()("tenantry/application/ports/Dns") {}
