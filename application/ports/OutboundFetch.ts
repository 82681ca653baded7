import { Context, type Effect, Schema } from "effect"

/**
 * The ONE way Tenantry fetches a URL a user influences (a website to check, a surface to
 * probe): every such fetch goes through this port, whose adapter refuses what could reach
 * inside (server-side request forgery). See docs/architecture.md, "Outbound fetches".
 *
 * A hop is one request: 0 is the URL asked for, 1..5 the redirects followed from it.
 */

/**
 * The rule a refusal broke:
 * - the URL: `invalid_url`, `scheme` (http/https only), `credentials` (userinfo);
 * - the name: `internal_name` (localhost, `.local`, `.internal`, single labels, metadata names);
 * - an address (a literal, a DNS answer, or the peer after connecting: `peer_address` then
 *   names the address's own rule in the message): `unspecified`, `private`, `loopback`,
 *   `link_local`, `cgnat`, `multicast`, `broadcast`, `reserved`, `documentation`,
 *   `benchmarking`, `unique_local`, `site_local`, `metadata`, and the IPv6 forms that embed an
 *   IPv4 address which is not public: `ipv4_mapped`, `nat64`, `6to4`; `teredo`;
 * - the chain: `too_many_redirects`.
 */
export const outboundRules = [
  "invalid_url",
  "scheme",
  "credentials",
  "internal_name",
  "unspecified",
  "private",
  "loopback",
  "link_local",
  "cgnat",
  "multicast",
  "broadcast",
  "reserved",
  "documentation",
  "benchmarking",
  "unique_local",
  "site_local",
  "metadata",
  "ipv4_mapped",
  "nat64",
  "6to4",
  "teredo",
  "peer_address",
  "too_many_redirects"
] as const
export type OutboundRule = (typeof outboundRules)[number]

/** The guard refused a hop: nothing was sent to `address` (or to anything, before one was chosen). */
export class OutboundRefused extends Schema.TaggedError<OutboundRefused>()("OutboundRefused", {
  hop: Schema.Int,
  url: Schema.String,
  /** The address that broke the rule, null when the URL or name itself did. */
  address: Schema.NullOr(Schema.String),
  rule: Schema.Literals(outboundRules),
  message: Schema.String
}) {}

/** The whole fetch (every hop) outlasted its deadline. */
export class OutboundTimeout extends Schema.TaggedError<OutboundTimeout>()("OutboundTimeout", {
  hop: Schema.Int,
  url: Schema.String,
  afterMs: Schema.Int
}) {}

/** The body grew past the cap (counted after decompression). */
export class OutboundTooLarge extends Schema.TaggedError<OutboundTooLarge>()("OutboundTooLarge", {
  hop: Schema.Int,
  url: Schema.String,
  maxBytes: Schema.Int
}) {}

/** Anything else that kept an answer from arriving: DNS, the connection, TLS, the protocol. */
export class OutboundFailed extends Schema.TaggedError<OutboundFailed>()("OutboundFailed", {
  hop: Schema.Int,
  url: Schema.String,
  message: Schema.String
}) {}

export type OutboundError = OutboundRefused | OutboundTimeout | OutboundTooLarge | OutboundFailed

export interface OutboundRequest {
  readonly url: string
  /** Request headers (names in lower case). `host` cannot be set: the URL decides it. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Follow up to 5 redirects, each checked as the first hop (default true). */
  readonly followRedirects?: boolean | undefined
  /** `html`: read a `text/html` body into `html` (others are drained); `discard`: drain any body. */
  readonly body?: "html" | "discard" | undefined
}

export interface OutboundResponse {
  /** The URL of the answer (after redirects). */
  readonly url: string
  readonly status: number
  /** Response headers, names in lower case, in the order received. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>
  /** The media type, lower case, without parameters; null when absent. */
  readonly mediaType: string | null
  /** The decoded body when it was `text/html` and asked for; else null. */
  readonly html: string | null
  /** From the first request sent to the end of this answer's body. */
  readonly durationMs: number
  /** The URLs answered with a redirect before this one, in order. */
  readonly redirects: ReadonlyArray<string>
}

/** The first value of a response header (name in lower case). */
export const headerValue = (response: Pick<OutboundResponse, "headers">, name: string): string | undefined =>
  response.headers.find(([key]) => key === name)?.[1]

export class OutboundFetch extends Context.Service<
  OutboundFetch,
  {
    readonly get: (request: OutboundRequest) => Effect.Effect<OutboundResponse, OutboundError>
  }
>()("tenantry/application/ports/OutboundFetch") {}
