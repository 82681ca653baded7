import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "vitest"
import { nodeUpstream } from "../../edge/node/upstream.ts"

describe("the Node host's upstream", () => {
  it("given a name that resolves to loopback, then the connection is refused at lookup (UpstreamRefused), before any byte is sent", async () => {
    let reached = 0
    const server = createServer((_req, res) => {
      reached += 1
      res.end("reached")
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    const port = (server.address() as AddressInfo).port
    try {
      const attempt = nodeUpstream({
        url: new URL(`http://localhost:${port}/`),
        connectTo: undefined,
        method: "GET",
        headers: new Headers(),
        body: null,
        signal: new AbortController().signal
      })
      await expect(attempt).rejects.toMatchObject({ name: "UpstreamRefused" })
      expect(reached).toBe(0)
      // The same server named as an override is reached: overrides are not resolved or refused.
      const overridden = await nodeUpstream({
        url: new URL("https://www.acme.test/x"),
        connectTo: new URL(`http://127.0.0.1:${port}`),
        method: "GET",
        headers: new Headers(),
        body: null,
        signal: new AbortController().signal
      })
      expect(await overridden.text()).toBe("reached")
    } finally {
      server.close()
    }
  })
})
