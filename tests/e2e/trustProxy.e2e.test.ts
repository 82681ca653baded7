import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pglite } from "../support/databases.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * The receivers' per-client token bucket (3 at once, then next to nothing) behind load
 * balancers: with TRUST_PROXY off (the default) the client is the socket's peer, whatever
 * X-Forwarded-For says; with TRUST_PROXY on, the client is the right-most entry no trusted
 * proxy stands in for (adapters/http/clientAddress.ts).
 */

const perClient = { WEBHOOK_RATE_LIMIT_PER_CLIENT: "3/0.01", WEBHOOK_RATE_LIMIT_PER_WEBHOOK: "1000/1000" }

/** A delivery with a wrong secret (404 once charged), from `forwardedFor` as a proxy names it. */
const deliver = async (server: TestServer, forwardedFor?: string) => {
  const response = await fetch(`${server.baseUrl}/api/webhooks/cache-refresh/whk_proxy000000000/whsec_x`, {
    method: "POST",
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    body: "{}"
  })
  await response.text()
  return { status: response.status, retryAfter: response.headers.get("retry-after") }
}

const statuses = async (server: TestServer, forwardedFor: string | undefined, count: number) => {
  const replies = []
  for (let i = 0; i < count; i++) replies.push((await deliver(server, forwardedFor)).status)
  return replies
}

describe("TRUST_PROXY unset (pglite)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(pglite, perClient)
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given clients behind a proxy that names them in X-Forwarded-For, when TRUST_PROXY is off, then they share the socket's bucket: the header cannot buy a client a fresh one", async () => {
    expect(await statuses(server, "203.0.113.7", 3)).toEqual([404, 404, 404])
    const limited = await deliver(server, "198.51.100.9")
    expect(limited.status).toBe(429)
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1)
    expect((await deliver(server)).status).toBe(429)
  })
})

describe("TRUST_PROXY=true (pglite)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(pglite, { ...perClient, TRUST_PROXY: "true" })
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given one load balancer in front, when clients it names in X-Forwarded-For deliver, then each client has a bucket of its own", async () => {
    expect(await statuses(server, "203.0.113.7", 4)).toEqual([404, 404, 404, 429])
    expect(await statuses(server, "198.51.100.9", 3)).toEqual([404, 404, 404])
    expect(await statuses(server, "2001:db8::1", 3)).toEqual([404, 404, 404])
  })

  it("given a client that sends its own X-Forwarded-For, when the load balancer appends the address it saw, then the client is that right-most entry: forged entries to its left change nothing", async () => {
    expect(await statuses(server, "192.0.2.50", 3)).toEqual([404, 404, 404])
    expect(await statuses(server, "10.9.8.7, 192.0.2.50", 1)).toEqual([429])
    expect(await statuses(server, "192.0.2.99, 10.0.0.1, 192.0.2.50", 1)).toEqual([429])
  })

  it("given a request without X-Forwarded-For or with an entry that is no address, then the socket's peer is the client", async () => {
    expect(await statuses(server, undefined, 3)).toEqual([404, 404, 404])
    expect(await statuses(server, "not-an-address", 1)).toEqual([429])
  })
})

describe("TRUST_PROXY=2 (pglite)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer(pglite, { ...perClient, TRUST_PROXY: "2" })
  })
  afterAll(async () => {
    await server?.close()
  })

  it("given a CDN in front of the load balancer, when both append to X-Forwarded-For, then the client is the second entry from the right and the CDN's address names nobody", async () => {
    const cdn = "198.18.0.1"
    expect(await statuses(server, `203.0.113.7, ${cdn}`, 4)).toEqual([404, 404, 404, 429])
    expect(await statuses(server, `198.51.100.9, ${cdn}`, 3)).toEqual([404, 404, 404])
    expect(await statuses(server, `1.1.1.1, 203.0.113.7, ${cdn}`, 1)).toEqual([429])
  })
})
