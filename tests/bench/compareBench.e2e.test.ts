/**
 * bench:compare runs end to end, small (see httpBenches.e2e.test.ts for why): the old
 * release (a `git archive` of BENCH_BASELINE_REF with its own `npm ci`, made once under the
 * temp directory) and this tree side by side on PostgreSQL + Redis, the stack it measures.
 */
import { describe, expect, it } from "vitest"
import { runBench, tableRows } from "../support/benches.ts"
import { postgresUrl, redisUrl } from "../support/services.ts"

describe.runIf(postgresUrl !== undefined && redisUrl !== undefined)("bench:compare", () => {
  it("given the old release beside this tree, when bench:compare runs one round, then every row has both sides measured", async () => {
    const { stdout } = await runBench("compare.ts", [], { BENCH_ROUNDS: "1", BENCH_WEBHOOKS: "3" })
    const rows = tableRows(stdout)
    for (const name of [
      "hand-written node:http + PostgreSQL primary-key read",
      "GET /api/tenants/{slug}",
      "POST /api/tenants/{slug}/refresh-cache",
      "cache-refresh: valid deliveries over 3 webhooks",
      "cache-refresh: flood of wrong secrets and unknown ids (refusals)"
    ]) {
      const row = rows.find((cells) => cells[0] === name)
      expect(row, `${name} in\n${stdout}`).toBeDefined()
      // old and new req/s: both sides answered
      expect(Number(row![1]!.replaceAll(",", ""))).toBeGreaterThan(0)
      expect(Number(row![2]!.replaceAll(",", ""))).toBeGreaterThan(0)
    }
    expect(stdout).not.toMatch(/NaN|Infinity|undefined/)
  })
})
