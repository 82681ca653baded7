import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import { makeShipper } from "../../edge/shipper.ts"
import { type Ingest, startIngest } from "./support/origins.ts"

/** The log shipper against a local HTTP server standing in for `POST /api/edge/logs`. */
let counter = 0
const record = (): RequestLogRecord =>
  ({
    id: `rec-${counter++}`,
    ts: new Date().toISOString(),
    tenantId: "tenant_1",
    slug: "acme",
    host: "acme.cachely.localhost",
    method: "GET",
    path: "/",
    status: 200,
    cache: "HIT",
    surface: "site",
    bytesOut: 10,
    bytesFromOrigin: 0,
    durationMs: 1,
    originMs: null,
    country: null,
    userAgent: null
  }) as RequestLogRecord

describe("log shipper", () => {
  let ingest: Ingest
  beforeAll(async () => {
    ingest = await startIngest()
  })
  afterAll(() => ingest.close())
  const fresh = (options: { maxBuffer?: number; now?: () => number } = {}) => {
    ingest.batches.length = 0
    return makeShipper({
      url: `${ingest.url}/api/edge/logs`,
      token: "edge_t",
      fetch,
      minBackoffMs: 1,
      ...options
    })
  }

  it("given 2,500 records, then batches of at most 1,000, each record shipped once, gzip NDJSON with its own batch id and the token", async () => {
    const shipper = fresh()
    const pushed = Array.from({ length: 2500 }, record)
    for (const r of pushed) shipper.push(r)
    await shipper.flush()
    expect(ingest.batches.map((batch) => batch.records.length)).toEqual([1000, 1000, 500])
    expect(ingest.records().map((r) => r.id)).toEqual(pushed.map((r) => r.id))
    expect(new Set(ingest.batches.map((batch) => batch.headers["x-batch-id"])).size).toBe(3)
    for (const batch of ingest.batches) {
      expect(batch.headers).toMatchObject({
        authorization: "Bearer edge_t",
        "content-encoding": "gzip",
        "content-type": "application/x-ndjson",
        "x-dropped-records": "0"
      })
    }
    expect(shipper.stats()).toMatchObject({ shipped: 2500, dropped: 0, buffered: 0 })
  })

  it("given fewer than 1,000 records, then they are due 1 s after the first, not before", async () => {
    let clock = 0
    const shipper = fresh({ now: () => clock })
    expect(shipper.dueInMs()).toBe(Infinity)
    shipper.push(record())
    clock = 400
    shipper.push(record())
    expect(shipper.dueInMs()).toBe(600)
    await shipper.flushDue()
    expect(ingest.batches).toHaveLength(0)
    clock = 1000
    await shipper.flushDue()
    expect(ingest.records()).toHaveLength(2)
  })

  it("given the control plane away (503), then the batch is retried under the same id until it lands, once", async () => {
    const shipper = fresh()
    for (let i = 0; i < 5; i++) shipper.push(record())
    ingest.failNext(503, 2)
    await shipper.flushDue()
    expect(shipper.dueInMs()).toBeGreaterThanOrEqual(0)
    const deadline = Date.now() + 2000
    while (ingest.batches.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      await shipper.flushDue()
    }
    expect(ingest.batches).toHaveLength(1)
    expect(ingest.records()).toHaveLength(5)
    expect(shipper.stats()).toMatchObject({ failures: 2, shipped: 5 })
  })

  it("given a full buffer, then what it drops is counted and reported in the next batch, then reset", async () => {
    const shipper = fresh({ maxBuffer: 10 })
    for (let i = 0; i < 15; i++) shipper.push(record())
    expect(shipper.stats().dropped).toBe(5)
    await shipper.flush()
    expect(ingest.batches[0]?.headers["x-dropped-records"]).toBe("5")
    shipper.push(record())
    await shipper.flush()
    expect(ingest.batches[1]?.headers["x-dropped-records"]).toBe("0")
  })

  it("given a batch refused for good (401), then it is dropped, counted and reported in the next", async () => {
    const shipper = fresh()
    shipper.push(record())
    ingest.failNext(401, 1)
    await shipper.flush()
    expect(shipper.stats()).toMatchObject({ dropped: 1, shipped: 0 })
    shipper.push(record())
    await shipper.flush()
    expect(ingest.batches[0]?.headers["x-dropped-records"]).toBe("1")
  })
})
