import type { DnsAnswer } from "../shared/dns.ts"

/**
 * Reading DNS answers against what a domain needs, in words a person can act on. Pure:
 * the lookups are the application's (the `Dns` port); this says what they mean.
 *
 * - Ownership: a TXT record at `_cachely-challenge.{hostname}` holding `cachely-verify={token}`.
 * - Routing: a CNAME at `{hostname}` to `{slug}.{PROXY_BASE_DOMAIN}` (case and trailing dot
 *   ignored), or, with `EDGE_IPS` set (apex names, flattened CNAMEs), A/AAAA records all
 *   within `EDGE_IPS`.
 * - "Could not ask" (timeout, refused, SERVFAIL) is `unknown`, never "missing" or "wrong".
 * - Certificate: the closest CAA record set on the name or a parent must not forbid the CA
 *   named by `ACME_CA_DOMAIN`; a warning otherwise.
 */
export const ownershipName = (hostname: string) => `_cachely-challenge.${hostname}`
export const ownershipValue = (token: string) => `cachely-verify=${token}`

export interface Observations {
  readonly txt: DnsAnswer
  readonly cname: DnsAnswer
  /** Asked only when `EDGE_IPS` is set. */
  readonly a: DnsAnswer | undefined
  readonly aaaa: DnsAnswer | undefined
  /** The closest CAA answer walking up from the hostname (name and answer), if any was found. */
  readonly caa: { readonly name: string; readonly answer: DnsAnswer } | undefined
}

export interface Expectations {
  readonly hostname: string
  readonly token: string
  /** `{slug}.{PROXY_BASE_DOMAIN}`. */
  readonly routingTarget: string
  readonly edgeIps: ReadonlyArray<string>
  readonly acmeCaDomain: string
}

export interface CheckResult {
  readonly ok: boolean
  readonly expected: string
  /** The strings DNS answered. */
  readonly found: ReadonlyArray<string>
}

export interface Evaluation {
  readonly ownership: CheckResult & { readonly state: "found" | "missing" | "unknown" }
  readonly routing: CheckResult & { readonly state: "ok" | "wrong" | "unknown" }
  /** Sentences for everything not right, in the order ownership, routing, certificate. */
  readonly reasons: ReadonlyArray<string>
}

const bare = (name: string) => name.toLowerCase().replace(/\.$/, "")

/** Canonical text of an IP address for comparison (IPv6 lower case, zeros compressed as given). */
const canonicalIp = (ip: string) => ip.toLowerCase()

const list = (values: ReadonlyArray<string>) => values.join(", ")

const evaluateOwnership = (
  observed: DnsAnswer,
  expect: Expectations
): Evaluation["ownership"] & { reason?: string } => {
  const name = ownershipName(expect.hostname)
  const expected = ownershipValue(expect.token)
  switch (observed._tag) {
    case "Found": {
      const ok = observed.values.some((value) => value.trim() === expected)
      return {
        ok,
        state: ok ? "found" : "missing",
        expected,
        found: observed.values,
        ...(ok
          ? {}
          : {
              reason: `ownership: TXT ${name} holds ${list(observed.values.map((v) => `"${v}"`))}, expected "${expected}"`
            })
      }
    }
    case "Missing":
      return {
        ok: false,
        state: "missing",
        expected,
        found: [],
        reason: `ownership: no TXT record at ${name}; create one with the value "${expected}"`
      }
    case "Unanswered":
      return {
        ok: false,
        state: "unknown",
        expected,
        found: [],
        reason: `ownership: could not ask DNS about TXT ${name} (${observed.reason}); the status is kept until DNS answers`
      }
  }
}

const evaluateRouting = (
  observations: Observations,
  expect: Expectations
): Evaluation["routing"] & { reason?: string } => {
  const { hostname, routingTarget } = expect
  const target = bare(routingTarget)
  const withIps = expect.edgeIps.length > 0
  const expected = withIps
    ? `CNAME ${target}, or A/AAAA records within ${list(expect.edgeIps)}`
    : `CNAME ${target}`
  const cname = observations.cname
  if (cname._tag === "Unanswered")
    return {
      ok: false,
      state: "unknown",
      expected,
      found: [],
      reason: `routing: could not ask DNS about CNAME ${hostname} (${cname.reason}); the status is kept until DNS answers`
    }
  if (cname._tag === "Found") {
    const found = cname.values.map(bare)
    if (found.includes(target)) return { ok: true, state: "ok", expected, found }
    return {
      ok: false,
      state: "wrong",
      expected,
      found,
      reason: `routing: CNAME ${hostname} points to ${list(found)}, expected ${target}`
    }
  }
  if (!withIps)
    return {
      ok: false,
      state: "wrong",
      expected,
      found: [],
      reason: `routing: ${hostname} has no CNAME record; create CNAME ${hostname} → ${target}`
    }
  const answers = [observations.a, observations.aaaa].filter((answer) => answer !== undefined)
  const addresses = answers.flatMap((answer) => (answer._tag === "Found" ? answer.values : []))
  const unanswered = answers.find((answer) => answer._tag === "Unanswered")
  if (addresses.length === 0) {
    if (unanswered !== undefined)
      return {
        ok: false,
        state: "unknown",
        expected,
        found: [],
        reason: `routing: could not ask DNS about A/AAAA ${hostname} (${unanswered.reason}); the status is kept until DNS answers`
      }
    return {
      ok: false,
      state: "wrong",
      expected,
      found: [],
      reason: `routing: ${hostname} has no CNAME, A or AAAA record; expected ${expected}`
    }
  }
  const edge = new Set(expect.edgeIps.map(canonicalIp))
  const outside = addresses.filter((address) => !edge.has(canonicalIp(address)))
  if (outside.length === 0) return { ok: true, state: "ok", expected, found: addresses }
  return {
    ok: false,
    state: "wrong",
    expected,
    found: addresses,
    reason: `routing: ${hostname} resolves to ${list(outside)}, outside EDGE_IPS (${list(expect.edgeIps)})`
  }
}

/** CAA (RFC 8659): the closest record set decides; `issue` values name CAs (`letsencrypt.org; …`). */
const caaWarning = (observations: Observations, expect: Expectations): string | undefined => {
  const caa = observations.caa
  if (caa === undefined || caa.answer._tag !== "Found") return undefined
  const issuers = caa.answer.values
    .filter((value) => value.startsWith("issue "))
    .map((value) => value.slice("issue ".length).split(";")[0]!.trim().toLowerCase())
  if (issuers.length === 0) return undefined
  const ca = expect.acmeCaDomain.toLowerCase()
  if (issuers.includes(ca)) return undefined
  const allowed = issuers.filter((issuer) => issuer.length > 0)
  return `certificate: CAA at ${caa.name} allows ${allowed.length === 0 ? "no certificate authority" : `only ${list(allowed)}`}, not ${ca}; add CAA ${caa.name} 0 issue "${ca}" or the certificate cannot be issued`
}

export const evaluate = (observations: Observations, expect: Expectations): Evaluation => {
  const { reason: ownershipReason, ...ownership } = evaluateOwnership(observations.txt, expect)
  const { reason: routingReason, ...routing } = evaluateRouting(observations, expect)
  const warning = caaWarning(observations, expect)
  const reasons = [ownershipReason, routingReason, warning].filter((reason) => reason !== undefined)
  return { ownership, routing, reasons }
}

/** The names whose CAA records may apply, closest first: the hostname, then each parent above the top-level domain. */
export const caaNames = (hostname: string): ReadonlyArray<string> => {
  const labels = hostname.split(".")
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."))
}
