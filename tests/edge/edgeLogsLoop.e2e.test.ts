import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadOrCreateDevKeys, mintDevToken } from "../../adapters/auth/devKeys.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { postgresUrl, redisUrl } from "../support/services.ts"
import { edgeRequest } from "./support/edgeHttp.ts"
import { type Origin, startOrigin } from "./support/origins.ts"
import { freePort, type Started, startProcess } from "./support/processes.ts"

/**
 * The loop closed: `npm start` + `npm run edge` as processes on one DATA_DIR (the edge token
 * generated there and read by both), requests through the edge, their records arriving in
 * `GET /api/tenants/{slug}/logs`; and the fault: the control plane killed (`kill -9`) and
 * restarted while the edge serves and ships, after which every request served is in the
 * logs exactly once.
 */
interface LogRow {
  readonly id: string
  readonly slug: string
  readonly host: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly cache: string
  readonly surface: string
  readonly bytesOut: number
  readonly originMs: number | null
  readonly userAgent: string | null
}

const loop = (
  stack: string,
  setup: () => Promise<{ readonly env: Record<string, string>; readonly teardown: () => Promise<void> }>
) =>
  describe(`the edge's request logs in GET …/logs (${stack})`, () => {
    let dataDir: string
    let site: Origin
    let server: Started
    let edge: Started
    let env: Record<string, string>
    let teardown = async () => {}
    let port: number
    let base: string
    let edgeBase: string
    let bearer: string
    const slug = `logs-${Date.now().toString(36)}`
    const host = `${slug}.cachely.localhost`

    const startServer = () =>
      startProcess(
        "apps/server/main.ts",
        { ...env, PORT: String(port) },
        async () => (await fetch(`${base}/healthz`)).ok
      )

    beforeAll(async () => {
      const stackSetup = await setup()
      teardown = stackSetup.teardown
      dataDir = await mkdtemp(join(tmpdir(), "tenantry-edge-logs-"))
      env = { DATA_DIR: dataDir, ...stackSetup.env }
      site = await startOrigin("site")
      port = await freePort()
      const edgePort = await freePort()
      base = `http://127.0.0.1:${port}`
      edgeBase = `http://127.0.0.1:${edgePort}`
      server = await startServer()
      edge = await startProcess(
        "apps/edge/main.ts",
        {
          ...env,
          EDGE_PORT: String(edgePort),
          TENANTRY_URL: base,
          ORIGIN_OVERRIDES: JSON.stringify({ "https://www.logs.test": site.url })
        },
        async () => (await edgeRequest(edgeBase, { host: "up.cachely.localhost" })).status === 404
      )
      const keys = await Effect.runPromise(loadOrCreateDevKeys(dataDir))
      bearer = await Effect.runPromise(mintDevToken({ ...keys, userId: "user_edge_logs", ttlSeconds: 3600 }))
      const created = await fetch(`${base}/api/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        body: JSON.stringify({
          slug,
          cms: "generic",
          apiOrigin: "https://api.logs.test",
          websiteDomain: "www.logs.test",
          siteProxy: true
        })
      })
      expect(created.status).toBe(201)
      const deadline = Date.now() + 10_000
      while ((await edgeRequest(edgeBase, { host, path: "/ready" })).status !== 200 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50))
    }, 240_000)

    afterAll(async () => {
      await edge?.stop()
      await server?.stop()
      await site?.close()
      await rm(dataDir, { recursive: true, force: true })
      await teardown()
    })

    /** Every log of the tenant, following the cursor. */
    const allLogs = async (): Promise<Array<LogRow>> => {
      const rows: Array<LogRow> = []
      let cursor: string | null = null
      for (let guard = 0; guard < 100; guard++) {
        const query: string = `limit=200${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
        const response = await fetch(`${base}/api/tenants/${slug}/logs?${query}`, {
          headers: { authorization: `Bearer ${bearer}` }
        })
        expect(response.status).toBe(200)
        const page = (await response.json()) as {
          logs: Array<LogRow>
          nextCursor: string | null
          hasMore: boolean
        }
        rows.push(...page.logs)
        if (!page.hasMore) return rows
        cursor = page.nextCursor
      }
      throw new Error("the cursor never ended")
    }

    const untilLogged = async (ids: ReadonlyArray<string>, withinMs: number) => {
      const deadline = Date.now() + withinMs
      for (;;) {
        const rows = await allLogs().catch(() => [] as Array<LogRow>)
        const present = new Set(rows.map((row) => row.id))
        if (ids.every((id) => present.has(id)) || Date.now() > deadline) return rows
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }

    it("given requests through the edge, then their records arrive in GET …/logs with the right fields", async () => {
      const miss = await edgeRequest(edgeBase, {
        host,
        path: "/article?utm_source=x",
        headers: { "user-agent": "loop/1" }
      })
      const hit = await edgeRequest(edgeBase, {
        host,
        path: "/article?utm_source=y",
        headers: { "user-agent": "loop/1" }
      })
      expect([miss.headers["x-cachely-cache"], hit.headers["x-cachely-cache"]]).toEqual(["MISS", "HIT"])
      const ids = [miss, hit].map((reply) => String(reply.headers["x-cachely-request-id"]))
      const rows = await untilLogged(ids, 10_000)
      const byId = new Map(rows.map((row) => [row.id, row]))
      expect(byId.get(ids[0] as string)).toMatchObject({
        slug,
        host,
        method: "GET",
        path: "/article",
        status: 200,
        cache: "MISS",
        surface: "site",
        bytesOut: miss.body.length,
        userAgent: "loop/1"
      })
      expect(byId.get(ids[1] as string)).toMatchObject({ cache: "HIT", originMs: null, path: "/article" })
      expect(byId.get(ids[0] as string)).not.toHaveProperty("tenantId")
    })

    it("given the control plane killed (kill -9) and restarted while the edge serves and ships, then every request served is in the logs exactly once", async () => {
      const served: Array<string> = []
      const serve = async (count: number, prefix: string) => {
        for (let i = 0; i < count; i++) {
          const reply = await edgeRequest(edgeBase, { host, path: `/${prefix}-${i % 7}` })
          expect(reply.status).toBe(200)
          served.push(String(reply.headers["x-cachely-request-id"]))
        }
      }
      await serve(40, "before")
      await server.kill9()
      // The edge goes on serving (from its cache and the origin) with nobody to ship to.
      await serve(60, "during")
      server = await startServer()
      await serve(40, "after")
      const rows = await untilLogged(served, 60_000)
      const ours = rows.filter((row) => served.includes(row.id))
      expect(new Set(ours.map((row) => row.id)).size).toBe(served.length)
      expect(ours).toHaveLength(served.length)
    }, 180_000)
  })

loop("PGlite + file KV", async () => ({ env: {}, teardown: async () => {} }))
if (postgresUrl !== undefined && redisUrl !== undefined) {
  const pg = postgresUrl
  const redis = redisUrl
  loop("PostgreSQL + Redis", async () => {
    const scope = Scope.makeUnsafe()
    const url = await Effect.runPromise(Scope.provide(scope)(freshPostgresDatabase(pg)))
    return {
      env: { DATABASE_URL: url, REDIS_URL: redis },
      teardown: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
}
