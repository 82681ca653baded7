import { describe, expect, it } from "vitest"
import { isPrivateAddress, refusedUpstreamHost } from "../../edge/address.ts"
import { memoryCache } from "../../edge/node/memoryCache.ts"
import { cacheKey, cacheQuery, normalizeHost, surfaceOf } from "../../edge/routing.ts"

describe("edge rules", () => {
  it("given private, loopback, link-local and mapped addresses, then each is refused; public ones are not", () => {
    for (const address of [
      "10.1.2.3",
      "127.0.0.1",
      "0.0.0.0",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "100.64.0.1",
      "::1",
      "[::1]",
      "::",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:a9fe:a9fe",
      "224.0.0.1"
    ])
      expect(isPrivateAddress(address), address).toBe(true)
    for (const address of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"])
      expect(isPrivateAddress(address), address).toBe(false)
    for (const host of ["localhost", "a.localhost", "metadata.google.internal", "printer.local"])
      expect(refusedUpstreamHost(host), host).toBe(true)
    expect(refusedUpstreamHost("www.example.com")).toBe(false)
  })

  it("given Host headers, then the port goes, A-Z lower, and anything that is no DNS name is refused", () => {
    expect(normalizeHost("Acme.Cachely.Localhost:8787")).toBe("acme.cachely.localhost")
    expect(normalizeHost("www.acme.com.")).toBe("www.acme.com")
    for (const hostile of ["", "a b", "../x", "a/b", "x@y", "[::1]", "\u212Acme.com", "a..b", "-a.com", null])
      expect(normalizeHost(hostile), String(hostile)).toBeUndefined()
  })

  it("given queries in any order with tracking parameters, then one cache key", () => {
    expect(cacheQuery("?b=2&a=1&utm_source=x&gclid=1&fbclid=2")).toBe("a=1&b=2")
    expect(cacheKey("acme", "site", 3, "/p", "?b=2&a=1")).toBe(
      cacheKey("acme", "site", 3, "/p", "?a=1&b=2&utm_medium=m")
    )
    expect(cacheKey("acme", "site", 3, "/p", "")).not.toBe(cacheKey("acme", "site", 4, "/p", ""))
    expect(surfaceOf("/~api/x")).toBe("api")
    expect(surfaceOf("/~apix")).toBe("site")
    expect(surfaceOf("/~assets/h/x")).toBe("assets")
  })

  it("given the byte bound, then the least recently used entries go first and the total stays under it", async () => {
    const cache = memoryCache(10_000)
    const entry = (size: number) => ({
      status: 200,
      headers: [],
      body: new Uint8Array(size),
      storedAt: 0,
      ttl: 60
    })
    await cache.put("a", entry(3000))
    await cache.put("b", entry(3000))
    await cache.get("a")
    await cache.put("c", entry(3000))
    await cache.put("d", entry(3000))
    expect(await cache.get("b")).toBeUndefined()
    expect(await cache.get("a")).toBeDefined()
    expect(cache.bytes()).toBeLessThanOrEqual(10_000)
    await cache.put("huge", entry(20_000))
    expect(await cache.get("huge")).toBeUndefined()
  })
})
