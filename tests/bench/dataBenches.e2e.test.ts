/**
 * The benches that load data run end to end, small (see httpBenches.e2e.test.ts for why):
 * the event store on both engines; ingestion, analytics and the audit feed on PostgreSQL,
 * the only stack they measure.
 */
import { describe, it } from "vitest"
import { expectMeasured, runBench } from "../support/benches.ts"
import { postgresUrl } from "../support/services.ts"

describe("the event-store bench", () => {
  it("given PGlite, when bench:event-store runs, then appends, loads and projector catch-up are measured", async () => {
    const { stdout } = await runBench("eventStore.ts", ["pglite"], {})
    expectMeasured(stdout, [
      "1. single-event append, 32 writers",
      "2. 100-event batch append, 1 writer",
      "3. load+fold 10,000 events, snapshot + 50",
      "4. projector catch-up, set-based upsert"
    ])
  })
})

describe.runIf(postgresUrl !== undefined)("the PostgreSQL benches", () => {
  it("given PostgreSQL, when bench:event-store runs, then appends, loads and projector catch-up are measured", async () => {
    const { stdout } = await runBench("eventStore.ts", ["postgres"], {})
    expectMeasured(stdout, ["1. single-event append, 8 writers", "4. projector catch-up, per-event upsert"])
  })

  it("given PostgreSQL, when bench:ingest runs, then ingestion is measured beside its baselines and every page shape is read", async () => {
    const { stdout } = await runBench("ingest.ts", [], {
      BENCH_INGEST_SECONDS: "1",
      BENCH_INGEST_CONCURRENCY: "2",
      BENCH_LOGS_SMALL: "3000",
      BENCH_LOGS_BIG: "6000",
      BENCH_PAGE_SAMPLES: "5"
    })
    expectMeasured(stdout, [
      "POST /api/edge/logs, 1,000-record NDJSON batches, gzip",
      "baseline: bare multi-row INSERT",
      "GET …/logs path=/blog/post-42: 3,000 vs 6,000 records"
    ])
  })

  it("given PostgreSQL, when bench:analytics runs, then the three reads are measured at both sizes beside the raw scan", async () => {
    const { stdout } = await runBench("analytics.ts", [], {
      BENCH_ANALYTICS_SIZES: "1000,3000",
      BENCH_ANALYTICS_RUNS: "5"
    })
    expectMeasured(stdout, [
      "analytics 30d: p50 3,000 / 1,000",
      "bandwidth 366 days @ 3,000",
      "usage (month + previous) @ 3,000",
      "baseline: 30d totals scanning raw records @ 3,000"
    ])
  })

  it("given PostgreSQL, when bench:audit-feed runs, then catch-up, delivery and chained appends are measured beside their baselines", async () => {
    const { stdout } = await runBench("auditFeed.ts", [], {
      BENCH_FEED_EVENTS: "2000",
      BENCH_FEED_CONSUMERS: "3"
    })
    expectMeasured(stdout, [
      "1. catch-up: one NDJSON consumer over HTTP",
      "2. commit → delivery, 3 consumers",
      "3. append with the hash chain, 8 writers"
    ])
  })
})
