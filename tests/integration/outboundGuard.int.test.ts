import { connect as netConnect, Socket } from "node:net"
import { gzipSync } from "node:zlib"
import { Effect, Exit } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import * as NodeDns from "../../adapters/dns/NodeDns.ts"
import {
  makeOutboundFetch,
  type OutboundFetchOptions,
  resolveThrough
} from "../../adapters/outbound/UndiciOutboundFetch.ts"
import type {
  OutboundError,
  OutboundRequest,
  OutboundResponse
} from "../../application/ports/OutboundFetch.ts"
import { startDnsServer, type TestDnsServer } from "../support/dnsServer.ts"
import { type LocalSite, startLocalSite } from "../support/localSites.ts"

/**
 * The outbound fetcher's guard against a corpus of server-side request forgery tricks.
 * Beside it runs an "internal" server on loopback that must never receive a request,
 * and a real DNS server (dns2) on loopback for the names. Nothing here sends traffic off
 * this machine: the fetcher dials through a watcher that records every address it is asked
 * to dial and connects only to loopback (any other address fails as unreachable), so a
 * public address that passed the guard is seen dialled, never reached.
 */

let internal: LocalSite
let redirector: LocalSite
let dns: TestDnsServer
let dialled: Array<string>
/** Where the watcher sends a dial of a public address (undefined: nowhere). */
let publicStandIn: number | undefined

const P = () => internal.port

const watcher = (address: string, port: number): Socket => {
  dialled.push(address)
  if (address === "127.0.0.1" || address === "::1") return netConnect({ host: address, port })
  if (publicStandIn !== undefined) return netConnect({ host: "127.0.0.1", port: publicStandIn })
  const socket = new Socket()
  setImmediate(() =>
    socket.destroy(
      Object.assign(new Error(`test: ${address} is not dialled off this machine`), { code: "ENETUNREACH" })
    )
  )
  return socket
}

/** Names are resolved as in the server: the Dns port's adapter, asking the dns2 server. */
const resolveWith = (server: string): OutboundFetchOptions["resolve"] =>
  resolveThrough(NodeDns.make({ servers: [server], timeoutMillis: 1000 }))

const fetcher = (extra: Partial<OutboundFetchOptions> = {}) =>
  makeOutboundFetch({
    overrides: new Map([
      ["https://redirector.test", redirector.base],
      ["https://site.test", redirector.base]
    ]),
    production: false,
    resolve: resolveWith(dns.address),
    dial: watcher,
    ...extra
  })

const attempt = (request: OutboundRequest | string, extra: Partial<OutboundFetchOptions> = {}) =>
  Effect.runPromise(
    Effect.exit(fetcher(extra).get(typeof request === "string" ? { url: request } : request))
  ) as Promise<Exit.Exit<OutboundResponse, OutboundError>>

const refusal = async (url: string) => {
  const exit = await attempt(url)
  if (Exit.isSuccess(exit)) throw new Error(`${url} was fetched (status ${exit.value.status})`)
  const failure = exit.cause.reasons[0]
  if (failure?._tag !== "Fail") throw new Error(`${url}: not a typed failure`)
  return failure.error
}

beforeAll(async () => {
  internal = await startLocalSite((_request, response) => {
    response.writeHead(200, { "content-type": "text/html" })
    response.end("<h1>internal secrets</h1>")
  })
  dns = await startDnsServer()
  redirector = await startLocalSite((request, response) => {
    const url = new URL(request.url ?? "/", "http://x")
    const to = url.searchParams.get("to")
    if (url.pathname === "/loop") {
      const n = Number(url.searchParams.get("n") ?? "0")
      response.writeHead(302, { location: `/loop?n=${n + 1}` })
      response.end()
      return
    }
    if (to !== null) {
      response.writeHead(302, { location: to })
      response.end()
      return
    }
    if (url.pathname === "/big") {
      response.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" })
      response.end(gzipSync(Buffer.alloc(3 * 1024 * 1024, "a")))
      return
    }
    if (url.pathname === "/slow") return // never answers
    if (url.pathname === "/json") {
      response.writeHead(200, { "content-type": "application/json" })
      response.end('{"a":1}')
      return
    }
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "x-host-seen": request.headers.host ?? ""
    })
    response.end("<html><body>public page</body></html>")
  })
})

afterAll(async () => {
  await internal?.close()
  await redirector?.close()
  await dns?.close()
})

beforeEach(() => {
  dialled = []
  publicStandIn = undefined
})

/** [url (with {P} for the internal server's port), the rule it breaks] */
const literalCorpus: ReadonlyArray<readonly [string, string]> = [
  // IPv4 loopback in every spelling a URL parser accepts
  ["http://127.0.0.1:{P}/", "loopback"],
  ["http://2130706433:{P}/", "loopback"], // decimal
  ["http://017700000001:{P}/", "loopback"], // octal
  ["http://0x7f000001:{P}/", "loopback"], // hex
  ["http://0x7f.1:{P}/", "loopback"], // hex, short
  ["http://127.1:{P}/", "loopback"], // short
  ["http://0177.0.0.1:{P}/", "loopback"], // octal first octet
  ["http://127.000.000.001:{P}/", "loopback"], // zero-padded
  ["http://127.255.255.254:{P}/", "loopback"],
  ["http://%31%32%37.0.0.1:{P}/", "loopback"], // percent-encoded
  ["http://127%2E0%2E0%2E1:{P}/", "loopback"],
  ["http://\uFF11\uFF12\uFF17.0.0.1:{P}/", "loopback"], // full-width digits
  ["http://127\u30020\u30020\u30021:{P}/", "loopback"], // ideographic full stops
  ["http://127.0.0.1:{P}\\@example.com/", "loopback"], // backslash is a path in http URLs
  // unspecified
  ["http://0:{P}/", "unspecified"],
  ["http://0.0.0.0:{P}/", "unspecified"],
  ["http://0.0.0.1:{P}/", "unspecified"],
  ["http://[::]:{P}/", "unspecified"],
  // IPv6 and the forms that embed IPv4
  ["http://[::1]:{P}/", "loopback"],
  ["http://[0:0:0:0:0:0:0:1]:{P}/", "loopback"],
  ["http://[::ffff:127.0.0.1]:{P}/", "ipv4_mapped"],
  ["http://[::ffff:7f00:1]:{P}/", "ipv4_mapped"],
  ["http://[0:0:0:0:0:ffff:127.0.0.1]:{P}/", "ipv4_mapped"],
  ["http://[::ffff:10.0.0.1]/", "ipv4_mapped"],
  ["http://[::ffff:a9fe:a9fe]/", "ipv4_mapped"],
  ["http://[64:ff9b::127.0.0.1]:{P}/", "nat64"],
  ["http://[64:ff9b::a00:1]/", "nat64"],
  ["http://[64:ff9b:1::1]/", "nat64"],
  ["http://[2002:7f00:1::]/", "6to4"],
  ["http://[2002:a9fe:a9fe::1]/", "6to4"],
  ["http://[::127.0.0.1]:{P}/", "reserved"], // IPv4-compatible (deprecated)
  ["http://[fe80::1]/", "link_local"],
  ["http://[fc00::1]/", "unique_local"],
  ["http://[fd12:3456::1]/", "unique_local"],
  ["http://[fd00:ec2::254]/", "metadata"],
  ["http://[fec0::1]/", "site_local"],
  ["http://[ff02::1]/", "multicast"],
  ["http://[2001:db8::1]/", "documentation"],
  ["http://[2001::1]/", "teredo"],
  ["http://[100::1]/", "reserved"],
  // private, shared and reserved IPv4
  ["http://10.0.0.1/", "private"],
  ["http://10.255.255.255/", "private"],
  ["http://172.16.0.1/", "private"],
  ["http://172.31.255.254/", "private"],
  ["http://192.168.1.1/", "private"],
  ["http://100.64.0.1/", "cgnat"],
  ["http://100.127.255.254/", "cgnat"],
  ["http://169.254.1.1/", "link_local"],
  ["http://224.0.0.1/", "multicast"],
  ["http://239.255.255.250/", "multicast"],
  ["http://255.255.255.255/", "broadcast"],
  ["http://240.0.0.1/", "reserved"],
  ["http://192.0.0.8/", "reserved"],
  ["http://192.0.2.1/", "documentation"],
  ["http://198.18.0.1/", "benchmarking"],
  ["http://198.51.100.7/", "documentation"],
  ["http://203.0.113.9/", "documentation"],
  // cloud metadata, in several spellings
  ["http://169.254.169.254/latest/meta-data/", "metadata"],
  ["http://0xa9fea9fe/", "metadata"],
  ["http://2852039166/", "metadata"],
  ["http://0251.0376.0251.0376/", "metadata"],
  ["http://169.254.43518/", "metadata"],
  ["http://169.254.170.2/v2/credentials", "metadata"],
  ["http://100.100.100.200/latest/meta-data/", "metadata"],
  ["http://metadata.google.internal/computeMetadata/v1/", "metadata"],
  ["http://metadata/", "metadata"],
  // local names, refused before any lookup
  ["http://localhost:{P}/", "internal_name"],
  ["http://LOCALHOST:{P}/", "internal_name"],
  ["http://localhost.:{P}/", "internal_name"],
  ["http://api.localhost:{P}/", "internal_name"],
  ["http://printer.local/", "internal_name"],
  ["http://db.internal/", "internal_name"],
  ["http://intranet/", "internal_name"],
  // schemes and userinfo tricks
  ["file:///etc/passwd", "scheme"],
  ["ftp://example.com/", "scheme"],
  ["gopher://127.0.0.1:{P}/_GET%20/", "scheme"],
  ["javascript:alert(1)", "scheme"],
  ["data:text/html,hello", "scheme"],
  ["http://user:pass@example.com/", "credentials"],
  ["http://example.com@127.0.0.1:{P}/", "credentials"],
  ["http://example.com:80@127.0.0.1:{P}/", "credentials"],
  ["not a url", "invalid_url"],
  ["//127.0.0.1:{P}/", "invalid_url"]
]

describe("the outbound guard, literal addresses, names and URLs", () => {
  it("has a corpus of at least 60 cases", () => {
    expect(literalCorpus.length).toBeGreaterThanOrEqual(60)
  })

  it.each(literalCorpus)(
    "given %s, then it is refused (%s) and nothing is dialled",
    async (template, rule) => {
      const url = template.replaceAll("{P}", String(P()))
      const error = await refusal(url)
      expect(error._tag).toBe("OutboundRefused")
      expect(error).toMatchObject({ rule, hop: 0 })
      expect(error.message.length).toBeGreaterThan(0)
      expect(dialled).toEqual([])
    }
  )
})

describe("the outbound guard, DNS answers", () => {
  const cases: ReadonlyArray<readonly [string, "A" | "AAAA", ReadonlyArray<string>, string, string]> = [
    ["loopback.example.com", "A", ["127.0.0.1"], "loopback", "127.0.0.1"],
    ["private.example.com", "A", ["10.0.0.5"], "private", "10.0.0.5"],
    ["cgnat.example.com", "A", ["100.64.3.4"], "cgnat", "100.64.3.4"],
    ["metadata.example.com", "A", ["169.254.169.254"], "metadata", "169.254.169.254"],
    ["mixed.example.com", "A", ["93.184.216.34", "127.0.0.1"], "loopback", "127.0.0.1"],
    ["zero.example.com", "A", ["0.0.0.0"], "unspecified", "0.0.0.0"],
    ["v6loop.example.com", "AAAA", ["::1"], "loopback", "::1"],
    ["v6mapped.example.com", "AAAA", ["::ffff:7f00:1"], "ipv4_mapped", "::ffff:127.0.0.1"],
    ["v6ula.example.com", "AAAA", ["fd00::1"], "unique_local", "fd00::1"]
  ]

  it.each(cases)(
    "given %s answering %s %j, then it is refused (%s) naming %s",
    async (name, type, values, rule, address) => {
      dns.set(name, type, values)
      const error = await refusal(`http://${name}:${P()}/`)
      expect(error).toMatchObject({ _tag: "OutboundRefused", rule, hop: 0 })
      expect((error as { address: string }).address).toBe(address)
      expect(error.message).toContain(name)
      expect(dialled).toEqual([])
    }
  )

  it("given a name DNS answers with a public address and then a private one, then the address checked is the one dialled, once", async () => {
    let asked = 0
    const rebinding: OutboundFetchOptions["resolve"] = (name) =>
      Effect.sync(() => {
        asked++
        return asked === 1 ? ["93.184.216.34"] : ["127.0.0.1"]
      }).pipe(
        Effect.tap(() =>
          Effect.sync(() => dns.set(name, "A", asked === 1 ? ["93.184.216.34"] : ["127.0.0.1"]))
        )
      )
    dns.set("rebind.example.com", "A", ["93.184.216.34"])
    const exit = await attempt(`http://rebind.example.com:${P()}/`, { resolve: rebinding })
    expect(Exit.isFailure(exit)).toBe(true)
    // Resolved once, dialled the checked public address (which the watcher keeps on this machine), never loopback.
    expect(asked).toBe(1)
    expect(dialled).toEqual(["93.184.216.34"])
  })

  it("given the real DNS server answering public then private, then the second answer is never asked for", async () => {
    dns.set("flip.example.com", "A", ["93.184.216.34"])
    const before = dns.queries()
    const first = attempt(`http://flip.example.com:${P()}/`)
    const exit = await first
    dns.set("flip.example.com", "A", ["127.0.0.1"])
    expect(Exit.isFailure(exit)).toBe(true)
    expect(dialled).toEqual(["93.184.216.34"])
    // One A and one AAAA question for the one hop.
    expect(dns.queries() - before).toBe(2)
  })

  it("given a connection that lands on a private peer anyway, then the peer check refuses it before any request is written", async () => {
    dns.set("public.example.com", "A", ["93.184.216.34"])
    publicStandIn = P() // the dialled socket ends up at the internal server on loopback
    const error = await refusal(`http://public.example.com:${P()}/`)
    expect(error).toMatchObject({ _tag: "OutboundRefused", rule: "peer_address", address: "127.0.0.1" })
    expect(dialled).toEqual(["93.184.216.34"])
  })

  it("given a name DNS does not know, then the fetch fails without dialling", async () => {
    const error = await refusal("http://nowhere.example.com/")
    expect(error._tag).toBe("OutboundFailed")
    expect(dialled).toEqual([])
  })
})

describe("the outbound guard, redirects", () => {
  const targets: ReadonlyArray<readonly [string, string]> = [
    ["http://127.0.0.1:{P}/", "loopback"],
    ["http://[::1]:{P}/", "loopback"],
    ["http://2130706433:{P}/", "loopback"],
    ["http://localhost:{P}/", "internal_name"],
    ["http://169.254.169.254/latest/meta-data/", "metadata"],
    ["http://[::ffff:127.0.0.1]:{P}/", "ipv4_mapped"],
    ["http://10.1.2.3/", "private"],
    ["file:///etc/passwd", "scheme"],
    ["http://user:pw@example.com/", "credentials"]
  ]

  it.each(targets)(
    "given a public page redirecting to %s, then hop 1 is refused (%s)",
    async (template, rule) => {
      const to = template.replaceAll("{P}", String(P()))
      const error = await refusal(`https://redirector.test/?to=${encodeURIComponent(to)}`)
      expect(error).toMatchObject({ _tag: "OutboundRefused", rule, hop: 1 })
      expect(dialled).toEqual([])
    }
  )

  it("given a redirect to a name resolving to loopback, then hop 1 is refused naming the address", async () => {
    dns.set("sneaky.example.com", "A", ["127.0.0.1"])
    const error = await refusal(
      `https://redirector.test/?to=${encodeURIComponent(`http://sneaky.example.com:${P()}/`)}`
    )
    expect(error).toMatchObject({ _tag: "OutboundRefused", rule: "loopback", hop: 1, address: "127.0.0.1" })
  })

  it("given more than 5 redirects, then the sixth is refused", async () => {
    const error = await refusal("https://redirector.test/loop")
    expect(error).toMatchObject({ _tag: "OutboundRefused", rule: "too_many_redirects", hop: 5 })
  })

  it("given up to 5 redirects between allowed origins, then the last answer comes back with the chain", async () => {
    const exit = await attempt(
      `https://redirector.test/?to=${encodeURIComponent("https://site.test/landing")}`
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    if (!Exit.isSuccess(exit)) return
    expect(exit.value.url).toBe("https://site.test/landing")
    expect(exit.value.redirects).toEqual([
      `https://redirector.test/?to=${encodeURIComponent("https://site.test/landing")}`
    ])
    expect(exit.value.html).toContain("public page")
  })
})

describe("the outbound fetcher's limits and overrides", () => {
  it("given an overridden origin, then the connection moves and the request keeps its Host", async () => {
    const exit = await attempt("https://site.test/hello?x=1")
    expect(Exit.isSuccess(exit)).toBe(true)
    if (!Exit.isSuccess(exit)) return
    expect(exit.value.status).toBe(200)
    expect(exit.value.headers).toContainEqual(["x-host-seen", "site.test"])
    expect(exit.value.mediaType).toBe("text/html")
  })

  it("given NODE_ENV=production, then overrides are ignored and the origin is held to every rule", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        makeOutboundFetch({
          overrides: new Map([[`http://127.0.0.1:${P()}`, internal.base]]),
          production: true,
          resolve: resolveWith(dns.address),
          dial: watcher
        }).get({ url: `http://127.0.0.1:${P()}/` })
      )
    )
    expect(error).toMatchObject({ _tag: "OutboundRefused", rule: "loopback" })
  })

  it("given a body over 2 MiB once decompressed, then it is too large", async () => {
    const error = await refusal("https://site.test/big")
    expect(error).toMatchObject({ _tag: "OutboundTooLarge", maxBytes: 2 * 1024 * 1024 })
  })

  it("given an answer that is not HTML, then its body is not kept", async () => {
    const exit = await attempt("https://site.test/json")
    expect(
      Exit.isSuccess(exit) && exit.value.html === null && exit.value.mediaType === "application/json"
    ).toBe(true)
  })

  it("given a server that never answers, then the deadline ends the fetch", async () => {
    const exit = await attempt({ url: "https://site.test/slow" }, { limits: { deadlineMs: 300 } })
    expect(
      Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" && exit.cause.reasons[0].error._tag
    ).toBe("OutboundTimeout")
  })
})

describe("the internal server", () => {
  it("never received a request", () => {
    expect(internal.requests()).toBe(0)
  })
})
