import { Resolver } from "node:dns/promises"
import { isIP } from "node:net"
import { Effect, Layer } from "effect"
import {
  Dns,
  type DnsAnswer,
  DnsNotFound,
  type DnsRecordType,
  DnsUnanswered
} from "../../application/ports/Dns.ts"

export interface NodeDnsOptions {
  /** `ip`, `ip:port` or `[ipv6]:port` entries (see parseDnsServers); unset: the system's resolvers. */
  readonly servers?: ReadonlyArray<string> | undefined
  /** Per lookup, 3 s unless given. */
  readonly timeoutMillis?: number | undefined
}

export const defaultDnsTimeoutMillis = 3_000

/**
 * `DNS_SERVERS`: comma-separated `ip`, `ip:port`, `[ipv6]:port` (a bare IPv6 address too).
 * Returns the entries as node's `Resolver.setServers` takes them, or a sentence saying
 * which entry is wrong.
 */
export const parseDnsServers = (raw: string): ReadonlyArray<string> | { readonly error: string } => {
  const entries = raw
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  const valid = (port: string) => /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
  for (const entry of entries) {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
    if (bracketed !== null) {
      if (isIP(bracketed[1]!) !== 6 || (bracketed[2] !== undefined && !valid(bracketed[2])))
        return { error: `DNS_SERVERS: "${entry}" is not [ipv6]:port` }
      continue
    }
    if (isIP(entry) !== 0) continue
    const hostPort = /^([^:]+):(\d+)$/.exec(entry)
    if (hostPort !== null && isIP(hostPort[1]!) === 4 && valid(hostPort[2]!)) continue
    return { error: `DNS_SERVERS: "${entry}" is not an ip, ip:port or [ipv6]:port` }
  }
  return entries
}

/** Node's DNS error codes that mean "DNS answered: nothing there". */
const missing = new Map<string, "no_such_name" | "no_records">([
  ["ENOTFOUND", "no_such_name"],
  ["ENODATA", "no_records"]
])

const describe = (code: string | undefined): string => {
  switch (code) {
    case "ETIMEOUT":
      return "the DNS server did not answer in time"
    case "ESERVFAIL":
      return "the DNS server failed (SERVFAIL)"
    case "EREFUSED":
      return "the DNS server refused the query"
    case "ECONNREFUSED":
      return "no DNS server could be reached"
    case "ECANCELLED":
      return "the lookup was cancelled"
    default:
      return `the lookup failed (${code ?? "unknown error"})`
  }
}

const trimDot = (name: string) => (name.endsWith(".") ? name.slice(0, -1) : name)

const query = async (
  resolver: Resolver,
  name: string,
  type: DnsRecordType
): Promise<ReadonlyArray<string>> => {
  switch (type) {
    case "A":
      return resolver.resolve4(name)
    case "AAAA":
      return resolver.resolve6(name)
    case "CNAME":
      return (await resolver.resolveCname(name)).map(trimDot)
    case "TXT":
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""))
    case "CAA":
      return (await resolver.resolveCaa(name)).flatMap((record) => {
        const tag = (["issue", "issuewild", "iodef"] as const).find((t) => record[t] !== undefined)
        return tag === undefined ? [] : [`${tag} ${record[tag]}`]
      })
  }
}

/**
 * The `Dns` port on node's `dns` Resolver (c-ares): one resolver per lookup (so an
 * interrupted lookup is cancelled), one try, `timeoutMillis` each, on `servers` when given.
 */
export const make = (options: NodeDnsOptions = {}) => {
  const timeoutMillis = options.timeoutMillis ?? defaultDnsTimeoutMillis
  const servers = options.servers !== undefined && options.servers.length > 0 ? options.servers : undefined
  const lookup = (name: string, type: DnsRecordType): Effect.Effect<DnsAnswer> =>
    Effect.callback<DnsAnswer>((resume) => {
      const resolver = new Resolver({ timeout: timeoutMillis, tries: 1 })
      if (servers !== undefined) resolver.setServers([...servers])
      let settled = false
      const settle = (answer: DnsAnswer) => {
        if (settled) return
        settled = true
        clearTimeout(guard)
        resume(Effect.succeed(answer))
      }
      // c-ares's own timeout grows per server; this bounds the whole lookup.
      const guard = setTimeout(() => {
        resolver.cancel()
        settle({ _tag: "Unanswered", reason: describe("ETIMEOUT") })
      }, timeoutMillis + 250)
      query(resolver, name, type).then(
        (values) =>
          settle(values.length === 0 ? { _tag: "Missing", reason: "no_records" } : { _tag: "Found", values }),
        (error: NodeJS.ErrnoException) => {
          const code = error.code
          const reason = code === undefined ? undefined : missing.get(code)
          settle(
            reason !== undefined
              ? { _tag: "Missing", reason }
              : { _tag: "Unanswered", reason: describe(code) }
          )
        }
      )
      return Effect.sync(() => {
        settled = true
        clearTimeout(guard)
        resolver.cancel()
      })
    })

  const addresses =
    (type: "A" | "AAAA") =>
    (name: string): Effect.Effect<ReadonlyArray<string>, DnsNotFound | DnsUnanswered> =>
      Effect.flatMap(
        lookup(name, type),
        (answer): Effect.Effect<ReadonlyArray<string>, DnsNotFound | DnsUnanswered> => {
          switch (answer._tag) {
            case "Found":
              return Effect.succeed(answer.values)
            case "Missing":
              return Effect.fail(new DnsNotFound({ name, reason: answer.reason }))
            case "Unanswered":
              return Effect.fail(new DnsUnanswered({ name, reason: answer.reason }))
          }
        }
      )

  return Dns.of({ lookup, resolve4: addresses("A"), resolve6: addresses("AAAA") })
}

export const layer = (options: NodeDnsOptions = {}) => Layer.succeed(Dns, make(options))
