import { Context, type Effect, Schema } from "effect"

/** The record types Tenantry asks about. */
export type DnsRecordType = "A" | "AAAA" | "CNAME" | "TXT" | "CAA"

/**
 * What DNS said about one (name, type):
 * - `Found`: the records' values (A/AAAA addresses, CNAME targets without the trailing dot,
 *   TXT strings with their chunks joined, CAA as `{tag} {value}` e.g. `issue letsencrypt.org`);
 * - `Missing`: DNS answered that there is nothing (`no_such_name`: NXDOMAIN;
 *   `no_records`: the name exists without records of that type);
 * - `Unanswered`: we could not ask (timeout, refused, SERVFAIL, no server reachable):
 *   nothing is known, which is not the same as "not there".
 */
export type DnsAnswer =
  | { readonly _tag: "Found"; readonly values: ReadonlyArray<string> }
  | { readonly _tag: "Missing"; readonly reason: "no_such_name" | "no_records" }
  | { readonly _tag: "Unanswered"; readonly reason: string }

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
