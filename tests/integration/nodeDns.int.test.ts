import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { make, parseDnsServers } from "../../adapters/dns/NodeDns.ts"
import { startDnsServer, type TestDnsServer } from "../support/dnsServer.ts"

// The Dns port's adapter against a real DNS server on loopback (dns2): what DNS answered,
// what it said is not there, and "could not ask" kept apart.
describe("NodeDns on a DNS server on loopback", () => {
  let server: TestDnsServer
  beforeAll(async () => {
    server = await startDnsServer()
  })
  afterAll(() => server.close())

  const dns = () => make({ servers: [server.address], timeoutMillis: 300 })
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.result(effect))

  it("given TXT, CNAME, A, AAAA and CAA records, then each lookup answers them (CNAME without the trailing dot, CAA as 'tag value')", async () => {
    server.mode("answer")
    server.set("_cachely-challenge.shop.example.com", "TXT", ["cachely-verify=abc"])
    server.set("shop.example.com", "CNAME", ["acme.cachely.io"])
    server.set("acme.cachely.io", "A", ["203.0.113.7"])
    server.set("apex.example.com", "A", ["203.0.113.1", "203.0.113.2"])
    server.set("apex.example.com", "AAAA", ["2001:db8::1"])
    server.set("example.com", "CAA", ["issue letsencrypt.org"])
    const port = dns()
    expect(await Effect.runPromise(port.lookup("_cachely-challenge.shop.example.com", "TXT"))).toEqual({
      _tag: "Found",
      values: ["cachely-verify=abc"]
    })
    expect(await Effect.runPromise(port.lookup("shop.example.com", "CNAME"))).toEqual({
      _tag: "Found",
      values: ["acme.cachely.io"]
    })
    const apex = await Effect.runPromise(port.lookup("apex.example.com", "A"))
    expect(apex._tag === "Found" ? [...apex.values].sort() : apex).toEqual(["203.0.113.1", "203.0.113.2"])
    expect(await Effect.runPromise(port.resolve6("apex.example.com"))).toEqual(["2001:db8::1"])
    expect(await Effect.runPromise(port.lookup("example.com", "CAA"))).toEqual({
      _tag: "Found",
      values: ["issue letsencrypt.org"]
    })
  })

  it("given a name that does not exist, then it is Missing (no_such_name); given a name without that type, Missing (no_records); resolve4 fails with DnsNotFound", async () => {
    server.mode("answer")
    server.set("only-txt.example.com", "TXT", ["hello"])
    const port = dns()
    expect(await Effect.runPromise(port.lookup("nothing.example.com", "TXT"))).toEqual({
      _tag: "Missing",
      reason: "no_such_name"
    })
    expect(await Effect.runPromise(port.lookup("only-txt.example.com", "CNAME"))).toEqual({
      _tag: "Missing",
      reason: "no_records"
    })
    const failed = await run(port.resolve4("nothing.example.com"))
    expect(failed._tag === "Failure" && failed.failure._tag).toBe("DnsNotFound")
  })

  it("given a server answering SERVFAIL, then the lookup is Unanswered (could not ask), never Missing", async () => {
    server.mode("servfail")
    try {
      const answer = await Effect.runPromise(dns().lookup("shop.example.com", "CNAME"))
      expect(answer._tag).toBe("Unanswered")
      const failed = await run(dns().resolve4("shop.example.com"))
      expect(failed._tag === "Failure" && failed.failure._tag).toBe("DnsUnanswered")
    } finally {
      server.mode("answer")
    }
  })

  it("given a server that never answers, then the lookup is Unanswered within its timeout", async () => {
    server.mode("silent")
    try {
      const started = Date.now()
      const answer = await Effect.runPromise(dns().lookup("shop.example.com", "TXT"))
      expect(answer).toMatchObject({ _tag: "Unanswered" })
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      server.mode("answer")
    }
  })

  it("given no DNS server listening (a dead loopback port), then the lookup is Unanswered", async () => {
    const answer = await Effect.runPromise(
      make({ servers: ["127.0.0.1:9"], timeoutMillis: 300 }).lookup("shop.example.com", "A")
    )
    expect(answer._tag).toBe("Unanswered")
  })

  it("DNS_SERVERS accepts ip, ip:port, ipv6 and [ipv6]:port, and names a wrong entry", () => {
    expect(parseDnsServers("1.1.1.1, 127.0.0.1:5353,[::1]:53,2001:db8::1")).toEqual([
      "1.1.1.1",
      "127.0.0.1:5353",
      "[::1]:53",
      "2001:db8::1"
    ])
    expect(parseDnsServers("dns.example.com")).toMatchObject({
      error: expect.stringContaining("dns.example.com")
    })
    expect(parseDnsServers("127.0.0.1:70000")).toMatchObject({ error: expect.stringContaining("70000") })
    expect(parseDnsServers("[1.2.3.4]:53")).toMatchObject({ error: expect.any(String) })
  })
})
