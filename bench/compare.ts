/**
 * The old release and this tree side by side, in one run on one box: each side's server
 * in its own process over a fresh PostgreSQL database with the edge KV in Redis (as in
 * production), driven by wrk with the same rows, the sides alternating round by round so
 * that drift on a shared box falls on both. Beside each side's `GET /api/tenants/{slug}`,
 * a hand-written `node:http` + PostgreSQL primary-key read of the same tenant row
 * (handwrittenRead.ts) over that side's database, for the p99 to be held against.
 *
 *   npm run bench:compare
 *
 * The old release is a checkout of BENCH_BASELINE_REF (default 6c22b01), made once under
 * the temp directory (see baseline.ts), or BENCH_BASELINE_DIR. Settings as the other HTTP
 * benches: BENCH_HTTP_SECONDS (10), BENCH_HTTP_CONNECTIONS (50), BENCH_WEBHOOKS (50),
 * BENCH_DATABASE_URL, BENCH_REDIS_URL; BENCH_ROUNDS (2). Load from wrk when it is on the PATH (see load.ts).
 */
import { join } from "node:path"
import { baselineDir, baselineRef } from "./baseline.ts"
import { type LoadRequest, type LoadResult, loadGenerator, runLoad, warmUpSeconds } from "./load.ts"
import { type BenchServer, printTable, startScript, startServer } from "./serverProcess.ts"

const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 10)
const connections = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)
const webhookCount = Number(process.env.BENCH_WEBHOOKS ?? 50)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"

type Side = "old" | "new"

interface Measured {
  readonly result: LoadResult
  /** The measured process's CPU time per request answered. */
  readonly cpuMicros: number | undefined
}

const rowNames = {
  handwritten: "hand-written node:http + PostgreSQL primary-key read",
  getTenant: "GET /api/tenants/{slug}",
  refreshCache: "POST /api/tenants/{slug}/refresh-cache",
  valid: `cache-refresh: valid deliveries over ${webhookCount} webhooks`,
  flood: "cache-refresh: flood of wrong secrets and unknown ids (refusals)"
} as const
type RowName = keyof typeof rowNames

const measure = async (
  base: string,
  requests: ReadonlyArray<LoadRequest>,
  cpuSeconds: () => number | undefined
): Promise<Measured> => {
  await runLoad(base, requests, { seconds: warmUpSeconds(seconds), connections }) // warm-up
  const before = cpuSeconds()
  const result = await runLoad(base, requests, { seconds, connections })
  const after = cpuSeconds()
  return {
    result,
    cpuMicros:
      before === undefined || after === undefined ? undefined : ((after - before) * 1e6) / result.requests
  }
}

const body = JSON.stringify({
  sys: { type: "Entry", id: "5KsDBWseXY6QegucYAoacS" },
  fields: { title: { "en-US": "Hello" } }
})
const contentful = {
  "content-type": "application/vnd.contentful.management.v1+json",
  "x-contentful-topic": "ContentManagement.Entry.publish"
}

const expectStatus = async (response: Response, status: number, what: string) => {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`)
  return response
}

/** Tenants bench-0 … bench-{n-1}, each with a Contentful cache-refresh webhook: their receiver paths. */
const setUp = async (server: BenchServer, headers: Record<string, string>) => {
  const paths: Array<string> = []
  for (let i = 0; i < webhookCount; i++) {
    const slug = `bench-${i}`
    await expectStatus(
      await fetch(`${server.base}/api/tenants`, {
        method: "POST",
        headers,
        body: JSON.stringify({ slug, cms: "contentful", spaceId: "abc123" })
      }),
      201,
      "create"
    )
    const webhook = await expectStatus(
      await fetch(`${server.base}/api/tenants/${slug}/cache-refresh-webhooks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ provider: "contentful" })
      }),
      200,
      "webhook"
    )
    paths.push(new URL(((await webhook.json()) as { url: string }).url).pathname)
  }
  return paths
}

const benchSide = async (root: string): Promise<Record<RowName, Measured>> => {
  const server = await startServer(
    "postgres",
    {
      REDIS_URL: redisUrl,
      PLANS: JSON.stringify({ free: { maxTenants: 10_000 } }),
      // All load comes from one address: the rows measure the receivers, not 429s.
      WEBHOOK_RATE_LIMIT_PER_CLIENT: "1000000/1000000",
      WEBHOOK_RATE_LIMIT_PER_WEBHOOK: "1000000/1000000"
    },
    { root }
  )
  try {
    const token = await server.token("user_bench")
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
    const paths = await setUp(server, headers)
    const tenant = (await (
      await expectStatus(await fetch(`${server.base}/api/tenants/bench-0`, { headers }), 200, "get")
    ).json()) as { value: { tenantId: string } }

    const reference = await startScript(join(import.meta.dirname, "handwrittenRead.ts"), {
      DATABASE_URL: server.databaseUrl ?? "",
      TENANT_ID: tenant.value.tenantId,
      SLUG: "bench-0"
    })
    let handwritten: Measured
    try {
      handwritten = await measure(
        reference.base,
        [{ method: "GET", path: "/api/tenants/bench-0" }],
        reference.cpuSeconds
      )
    } finally {
      await reference.close()
    }
    const getTenant = await measure(
      server.base,
      [{ method: "GET", path: "/api/tenants/bench-0", headers }],
      server.cpuSeconds
    )
    const refreshCache = await measure(
      server.base,
      [
        {
          method: "POST",
          path: "/api/tenants/bench-0/refresh-cache",
          headers,
          body: JSON.stringify({ type: "api" })
        }
      ],
      server.cpuSeconds
    )
    const valid = await measure(
      server.base,
      paths.map((path) => ({ method: "POST", path, headers: contentful, body })),
      server.cpuSeconds
    )
    const flood = await measure(
      server.base,
      paths.flatMap(
        (path): ReadonlyArray<LoadRequest> => [
          { method: "POST", path: path.replace(/whsec_.*/, "whsec_wrong"), headers: contentful, body },
          { method: "POST", path: "/api/webhooks/cache-refresh/whk_unknown0000000000/whsec_x", body }
        ]
      ),
      server.cpuSeconds
    )
    return { handwritten, getTenant, refreshCache, valid, flood }
  } finally {
    await server.close()
  }
}

const roots: Record<Side, string> = { old: baselineDir(), new: process.cwd() }
const results: Record<Side, Array<Record<RowName, Measured>>> = { old: [], new: [] }
for (let round = 0; round < rounds; round++) {
  const order: ReadonlyArray<Side> = round % 2 === 0 ? ["old", "new"] : ["new", "old"]
  for (const side of order) {
    console.error(`[bench] round ${round + 1}/${rounds}: ${side}`)
    results[side].push(await benchSide(roots[side]))
  }
}

const rate = (measured: Measured) => Math.round(measured.result.rps).toLocaleString("en-US")
const ms = (value: number) => `${value.toFixed(1)}`
const list = (values: ReadonlyArray<string>) => values.join(" / ")
const sum = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0)
const cpu = (measured: Measured) =>
  measured.cpuMicros === undefined ? "n/a" : `${Math.round(measured.cpuMicros)}`
const okCount = (measured: Measured) =>
  measured.result.status5xx + measured.result.errors === 0
    ? ""
    : ` (${measured.result.status5xx + measured.result.errors} 5xx/errors)`

const targets: Record<RowName, string> = {
  handwritten: "(reference for GET's p99)",
  getTenant: "p99 ≤ 2× the hand-written read's (new)",
  refreshCache: "(as before)",
  valid: "≥ 0.8× old",
  flood: "≥ 0.8× old"
}

printTable(
  `Old release (${baselineRef}) and this tree, side by side: PostgreSQL + Redis, ${await loadGenerator()} ${connections} connections, ${seconds} s a row, ${rounds} rounds (one value a round)`,
  [
    "row",
    "old req/s",
    "new req/s",
    "new/old",
    "old p50 ms",
    "new p50 ms",
    "old p99 ms",
    "new p99 ms",
    "old CPU µs/req",
    "new CPU µs/req",
    "target"
  ],
  (Object.keys(rowNames) as ReadonlyArray<RowName>).map((name) => {
    const old = results.old.map((round) => round[name])
    const current = results.new.map((round) => round[name])
    const ratio = sum(current.map((m) => m.result.rps)) / sum(old.map((m) => m.result.rps))
    return [
      rowNames[name],
      list(old.map((m) => rate(m) + okCount(m))),
      list(current.map((m) => rate(m) + okCount(m))),
      `${ratio.toFixed(2)}×`,
      list(old.map((m) => ms(m.result.p50))),
      list(current.map((m) => ms(m.result.p50))),
      list(old.map((m) => ms(m.result.p99))),
      list(current.map((m) => ms(m.result.p99))),
      list(old.map(cpu)),
      list(current.map(cpu)),
      targets[name]
    ]
  })
)

// GET's tail against the hand-written read's, measured beside it in the same session.
printTable(
  "GET /api/tenants/{slug} p99 over the hand-written read's p99, each against the read beside it",
  ["side", "rounds", "target"],
  (["old", "new"] as const).map((side) => [
    side,
    list(
      results[side].map(
        (round) => `${(round.getTenant.result.p99 / round.handwritten.result.p99).toFixed(2)}×`
      )
    ),
    side === "new" ? "≤ 2×" : "(before)"
  ])
)

// A 5xx or a transport error on either side means the run measured a failure, not a rate.
const failed = (["old", "new"] as const).flatMap((side) =>
  results[side].flatMap((round) =>
    (Object.keys(rowNames) as ReadonlyArray<RowName>)
      .filter((name) => round[name].result.status5xx + round[name].result.errors > 0)
      .map((name) => `${side}: ${rowNames[name]}`)
  )
)
if (failed.length > 0) {
  console.error(`bench failed: 5xx or errors in ${failed.join("; ")}`)
  process.exitCode = 1
}
