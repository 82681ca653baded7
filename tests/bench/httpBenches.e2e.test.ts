/**
 * The HTTP benches run end to end (issue 13: "the benches pass on both storage stacks in
 * .ci/run"): each one, small, to its printed table, on every stack it measures. Their
 * numbers are not held here (bench/README.md has them); what is held is that a bench that
 * no longer starts, crashes mid-run or prints a row it could not measure fails the suite.
 */
import { describe, it } from "vitest"
import { expectMeasured, runBench } from "../support/benches.ts"
import { postgresUrl } from "../support/services.ts"

const engines = postgresUrl === undefined ? ["pglite"] : ["pglite", "postgres"]

describe("the HTTP benches, small, on the load generator at hand", () => {
  it.each(engines)(
    "given the %s stack, when bench:http runs, then it prints the GET and refresh-cache rows beside raw node:http",
    async (engine) => {
      const { stdout } = await runBench("http.ts", [engine], {})
      expectMeasured(stdout, [
        "baseline: raw node:http",
        `${engine}: GET /api/tenants/bench`,
        `${engine}: POST …/refresh-cache`
      ])
    }
  )

  it.each(engines)(
    "given the %s stack, when bench:webhooks runs, then every delivery row is measured with no 5xx",
    async (engine) => {
      const { stdout } = await runBench("webhooks.ts", [engine], { BENCH_WEBHOOKS: "3" })
      expectMeasured(stdout, [
        `${engine}: valid deliveries over 3 webhooks`,
        `${engine}: invalid flood beside them`,
        `${engine}: valid deliveries at full speed during that flood`
      ])
    }
  )

  it.each(engines)(
    "given the %s stack, when bench:domains runs, then the tenant and its domains are read under load",
    async (engine) => {
      const { stdout } = await runBench("domains.ts", [engine], {})
      expectMeasured(stdout, [
        `${engine}: GET /api/tenants/bench`,
        `${engine}: GET /api/tenants/bench/domains (5)`
      ])
    }
  )

  it("given the Node edge, when bench:edge runs, then HIT and MISS are measured against the origin alone", async () => {
    const { stdout } = await runBench("edge.ts", [], {
      BENCH_EDGE_SECONDS: "1",
      BENCH_EDGE_CONNECTIONS: "4",
      BENCH_EDGE_MISSES: "50"
    })
    expectMeasured(stdout, ["edge HIT (Node host)", "origin, direct", "through the edge (MISS"])
  })
})
