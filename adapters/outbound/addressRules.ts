import ipaddr from "ipaddr.js"
import type { OutboundRule } from "../../application/ports/OutboundFetch.ts"

/**
 * Which addresses and names an outbound fetch may reach: public unicast only. The tables
 * follow IANA's special-purpose address registries (RFC 6890 and successors); an address
 * refused names its rule and the block it fell in. First match wins, so the metadata
 * addresses are named as such rather than by the wider block they sit in.
 */

export type AddressVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly rule: OutboundRule; readonly detail: string }

type Block = readonly [cidr: string, rule: OutboundRule]

const v4Blocks: ReadonlyArray<Block> = [
  ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, OpenStack… instance metadata
  ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud
  ["192.0.0.192/32", "metadata"], // Oracle Cloud
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "cgnat"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link_local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"]
]

const v6Blocks: ReadonlyArray<Block> = [
  ["fd00:ec2::254/128", "metadata"], // AWS instance metadata over IPv6
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "nat64"], // local-use NAT64 (RFC 8215): reaches a private translator
  ["2001::/32", "teredo"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["2001::/23", "reserved"],
  ["100::/64", "reserved"],
  ["fc00::/7", "unique_local"],
  ["fe80::/10", "link_local"],
  ["fec0::/10", "site_local"],
  ["ff00::/8", "multicast"]
]

const parsed = <T extends Block>(blocks: ReadonlyArray<T>) =>
  blocks.map(([cidr, rule]) => ({ cidr, rule, range: ipaddr.parseCIDR(cidr) }))

const v4Table = parsed(v4Blocks)
const v6Table = parsed(v6Blocks)
const globalUnicast = ipaddr.parseCIDR("2000::/3")
const mapped = ipaddr.parseCIDR("::ffff:0:0/96")
const nat64 = ipaddr.parseCIDR("64:ff9b::/96")
const sixToFour = ipaddr.parseCIDR("2002::/16")

const refused = (rule: OutboundRule, detail: string): AddressVerdict => ({ ok: false, rule, detail })

const v4Verdict = (address: ipaddr.IPv4): AddressVerdict => {
  for (const block of v4Table) {
    if (address.match(block.range)) return refused(block.rule, `${address.toString()} is in ${block.cidr}`)
  }
  return { ok: true }
}

/** An IPv6 form that carries an IPv4 address is judged by that address. */
const embedded = (rule: OutboundRule, address: ipaddr.IPv6, inner: ipaddr.IPv4): AddressVerdict => {
  const verdict = v4Verdict(inner)
  return verdict.ok
    ? verdict
    : refused(rule, `${address.toString()} embeds ${inner.toString()} (${verdict.rule}: ${verdict.detail})`)
}

const v6Verdict = (address: ipaddr.IPv6): AddressVerdict => {
  const parts = address.parts
  const ipv4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  if (address.match(mapped)) return embedded("ipv4_mapped", address, ipv4(parts[6]!, parts[7]!))
  if (address.match(nat64)) return embedded("nat64", address, ipv4(parts[6]!, parts[7]!))
  if (address.match(sixToFour)) return embedded("6to4", address, ipv4(parts[1]!, parts[2]!))
  for (const block of v6Table) {
    if (address.match(block.range)) return refused(block.rule, `${address.toString()} is in ${block.cidr}`)
  }
  if (!address.match(globalUnicast)) {
    return refused("reserved", `${address.toString()} is outside global unicast 2000::/3`)
  }
  return { ok: true }
}

/** Whether an outbound fetch may connect to `address` (an IPv4 or IPv6 literal, no brackets). */
export const addressVerdict = (address: string): AddressVerdict => {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address
  // A zone id (fe80::1%eth0) names an interface: link-local by definition.
  if (bare.includes("%")) return refused("link_local", `${bare} names a network interface`)
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return v4Verdict(ipaddr.IPv4.parse(bare))
  if (ipaddr.IPv6.isValid(bare)) return v6Verdict(ipaddr.IPv6.parse(bare))
  return refused("invalid_url", `"${bare}" is not an IP address`)
}

/** Whether `host` (a URL's hostname, brackets kept) is an IP literal rather than a name. */
export const isAddressLiteral = (host: string): boolean =>
  (host.startsWith("[") && host.endsWith("]")) || ipaddr.IPv4.isValidFourPartDecimal(host)

const metadataNames = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.com"
])

/** Suffixes that name hosts on a local network, never on the public internet. */
const internalSuffixes = [
  ".localhost",
  ".local",
  ".internal",
  ".localdomain",
  ".home.arpa",
  ".lan",
  ".intranet"
]

/**
 * Names refused before any lookup: cloud metadata names, `localhost` and local-network
 * suffixes, and single labels (which a system resolver completes with search domains).
 */
export const nameVerdict = (hostname: string): AddressVerdict => {
  const name = hostname.toLowerCase().replace(/\.$/, "")
  if (metadataNames.has(name)) return refused("metadata", `${name} is a cloud metadata service name`)
  if (name === "localhost") return refused("internal_name", "localhost names this machine")
  const suffix = internalSuffixes.find((end) => name.endsWith(end))
  if (suffix !== undefined)
    return refused("internal_name", `${name} is under ${suffix}, a local-network name`)
  if (!name.includes(".")) return refused("internal_name", `${name} is a single label, not a public name`)
  return { ok: true }
}
