/**
 * Private, loopback, link-local and other non-public addresses (IPv4 and IPv6), which an
 * edge must never connect to on a tenant's behalf: the tenant controls its origins, and
 * the edge must not become a door into its own network.
 */
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

const privateIpv4 = (a: number, b: number): boolean =>
  a === 0 || // this network
  a === 10 ||
  a === 127 || // loopback
  (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
  (a === 169 && b === 254) || // link-local (cloud metadata)
  (a === 172 && b >= 16 && b <= 31) ||
  (a === 192 && b === 168) ||
  (a === 192 && b === 0) || // IETF protocol assignments
  (a === 198 && (b === 18 || b === 19)) || // benchmarking
  a >= 224 // multicast, reserved, broadcast

/** True when `address` (an IP literal, IPv6 with or without brackets) is not a public one. */
export const isPrivateAddress = (address: string): boolean => {
  const bare = address.replace(/^\[|\]$/g, "").toLowerCase()
  const v4 = ipv4.exec(bare)
  if (v4 !== null) return privateIpv4(Number(v4[1]), Number(v4[2]))
  if (!bare.includes(":")) return false
  if (bare === "::" || bare === "::1") return true
  // IPv4-mapped (::ffff:a.b.c.d) or its hex form: judge the IPv4 address inside.
  const mapped = /^::ffff:(?:(\d{1,3}(?:\.\d{1,3}){3})|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(bare)
  if (mapped !== null) {
    if (mapped[1] !== undefined) return isPrivateAddress(mapped[1])
    const high = Number.parseInt(mapped[2] ?? "0", 16)
    return privateIpv4(high >> 8, high & 0xff)
  }
  const first = Number.parseInt(bare.split(":")[0] || "0", 16)
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    first === 0 // ::/8 and other embedded forms
  )
}

/** True for names that always mean this machine or its network, whatever DNS says. */
export const isLocalName = (hostname: string): boolean => {
  const name = hostname.toLowerCase().replace(/\.$/, "")
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name.endsWith(".internal") ||
    name.endsWith(".local")
  )
}

/** Refused before any connection: an IP literal that is private, or a local name. */
export const refusedUpstreamHost = (hostname: string): boolean =>
  isPrivateAddress(hostname) || isLocalName(hostname)
