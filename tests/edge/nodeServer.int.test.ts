import { createServer, request as httpRequest } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { EdgeRequest } from "../../edge/core.ts"
import { edgeServer } from "../../edge/node/server.ts"
import { nodeUpstream } from "../../edge/node/upstream.ts"

const limit = 1024

/** What the origin saw of each request: the bytes of its body, and whether it ended or was cut. */
interface Seen {
  bytes: number
  ended: boolean
  aborted: boolean
}

describe("the Node host's request-body bound", () => {
  const seen: Array<Seen> = []
  const origin = createServer((req, res) => {
    const entry: Seen = { bytes: 0, ended: false, aborted: false }
    seen.push(entry)
    req.on("data", (chunk: Buffer) => {
      entry.bytes += chunk.byteLength
    })
    req.on("end", () => {
      entry.ended = true
      res.end(`got ${entry.bytes}`)
    })
    req.on("aborted", () => {
      entry.aborted = true
    })
    req.on("error", () => {
      entry.aborted = true
    })
  })
  // The core's part is the forwarding alone here: the body goes to the origin as it streams.
  const edge = edgeServer(
    {
      serve: async (request: EdgeRequest) => {
        const answer = await nodeUpstream({
          url: new URL(`https://www.acme.test${new URL(request.url).pathname}`),
          connectTo: new URL(`http://127.0.0.1:${(origin.address() as AddressInfo).port}`),
          method: request.method,
          headers: new Headers(),
          body: request.body,
          signal: new AbortController().signal
        })
        return {
          status: answer.status,
          statusText: "",
          headers: [],
          body: new Uint8Array(await answer.arrayBuffer())
        }
      }
    },
    { maxRequestBodyBytes: limit }
  )
  let base = ""

  beforeAll(async () => {
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", () => resolve()))
    await new Promise<void>((resolve) => edge.listen(0, "127.0.0.1", () => resolve()))
    base = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`
  })
  afterAll(() => {
    edge.closeAllConnections()
    edge.close()
    origin.closeAllConnections()
    origin.close()
  })

  /** A POST whose body is sent in `chunks` pieces of `size` bytes, chunked (no Content-Length). */
  const postChunked = (chunks: number, size: number) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${base}/form`, { method: "POST" }, (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (text: string) => {
          body += text
        })
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on("error", reject)
      const write = (left: number) => {
        if (left === 0 || req.destroyed) {
          req.end()
          return
        }
        req.write(Buffer.alloc(size, 97), () => setTimeout(() => write(left - 1), 5))
      }
      write(chunks)
    })

  it("given a chunked body within the bound, when posted through the edge, then the origin gets all of it", async () => {
    seen.length = 0
    const answer = await postChunked(4, 256)
    expect(answer).toEqual({ status: 200, body: "got 1024" })
    expect(seen).toEqual([{ bytes: 1024, ended: true, aborted: false }])
  })

  it("given a chunked body past the bound, when posted through the edge, then 413 payload_too_large, and the origin's request is cut before the bound's end", async () => {
    seen.length = 0
    const answer = await postChunked(16, 256)
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({
      error: "payload_too_large",
      message: `Bodies are limited to ${limit} bytes.`
    })
    await expect.poll(() => seen[0]?.aborted).toBe(true)
    expect(seen[0]!.ended).toBe(false)
    expect(seen[0]!.bytes).toBeLessThanOrEqual(limit)
  })

  it("given a declared Content-Length past the bound, then 413 at once and the origin is never asked", async () => {
    seen.length = 0
    const response = await fetch(`${base}/form`, { method: "POST", body: "a".repeat(limit + 1) })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { error: string }).error).toBe("payload_too_large")
    expect(seen).toEqual([])
  })
})
