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

/** The record types Tenantry asks about. */
export type DnsRecordType = "A" | "AAAA" | "CNAME" | "TXT" | "CAA"
