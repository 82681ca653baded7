import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadOrCreateDevKeys, mintDevToken } from "../../adapters/auth/devKeys.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { postgresUrl, redisUrl } from "../support/services.ts"
import { edgeRequest } from "./support/edgeHttp.ts"
import { type Origin, startOrigin } from "./support/origins.ts"
import { freePort, startProcess } from "./support/processes.ts"

/**
 * End to end, as a user runs it: `npm start` (the server) and `npm run edge` as two real
 * processes on one DATA_DIR (the generated edge keys shared through it), with a local
 * website and API origin. PGlite + file KV always; PostgreSQL + Redis when the test
 * services are configured.
 */
const apiToken = `cms_token_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`

const endToEnd = (
  stack: string,
  setup: () => Promise<{ readonly env: Record<string, string>; readonly teardown: () => Promise<void> }>
) =>
  describe(`npm start + npm run edge (${stack})`, () => {
    let dataDir: string
    let site: Origin
    let api: Origin
    let server: { stop: () => Promise<void> }
    let edge: { stop: () => Promise<void> }
    let base: string
    let edgeBase: string
    let bearer: string
    let extraEnv: Record<string, string> = {}
    let teardown = async () => {}
    const slug = `e2e-${Date.now().toString(36)}`
    const host = `${slug}.cachely.localhost`

    beforeAll(async () => {
      const stackSetup = await setup()
      extraEnv = stackSetup.env
      teardown = stackSetup.teardown
      dataDir = await mkdtemp(join(tmpdir(), "tenantry-edge-e2e-"))
      ;[site, api] = await Promise.all([startOrigin("site"), startOrigin("api")])
      const [port, edgePort] = [await freePort(), await freePort()]
      base = `http://127.0.0.1:${port}`
      edgeBase = `http://127.0.0.1:${edgePort}`
      const env = { DATA_DIR: dataDir, ...extraEnv }
      server = await startProcess("apps/server/main.ts", { ...env, PORT: String(port) }, async () => {
        return (await fetch(`${base}/healthz`)).ok
      })
      edge = await startProcess(
        "apps/edge/main.ts",
        {
          ...env,
          EDGE_PORT: String(edgePort),
          TENANTRY_URL: base,
          ORIGIN_OVERRIDES: JSON.stringify({
            "https://www.e2e.test": site.url,
            "https://api.e2e.test": api.url
          })
        },
        async () => (await edgeRequest(edgeBase, { host: "up.cachely.localhost" })).status === 404
      )
      const keys = await Effect.runPromise(loadOrCreateDevKeys(dataDir))
      bearer = await Effect.runPromise(mintDevToken({ ...keys, userId: "user_edge_e2e", ttlSeconds: 3600 }))
    }, 180_000)

    afterAll(async () => {
      await edge?.stop()
      await server?.stop()
      await Promise.all([site?.close(), api?.close()])
      await rm(dataDir, { recursive: true, force: true })
      await teardown()
    })

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      return { status: response.status, text: await response.text() }
    }

    /** Asks until the edge serves `path` with the version wanted (the projector, then the 1 s memo). */
    const untilVersion = async (path: string, version: string) => {
      const deadline = Date.now() + 5000
      for (;;) {
        const reply = await edgeRequest(edgeBase, { host, path })
        if (reply.headers["x-cachely-version"] === version || Date.now() > deadline) return reply
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }

    it("given a tenant created through the API, when its site is asked through the edge, then a MISS then a HIT; a refresh-cache makes a MISS on the new version, then a HIT", async () => {
      const created = await call("POST", "/api/tenants", {
        slug,
        cms: "generic",
        apiOrigin: "https://api.e2e.test",
        websiteDomain: "www.e2e.test",
        siteProxy: true
      })
      expect(created.status, created.text).toBe(201)
      const first = await untilVersion("/welcome", "1")
      expect(first.status).toBe(200)
      expect(first.headers).toMatchObject({
        "x-cachely-cache": "MISS",
        "x-cachely-tenant": slug,
        "x-cachely-surface": "site"
      })
      expect((await edgeRequest(edgeBase, { host, path: "/welcome" })).headers["x-cachely-cache"]).toBe("HIT")

      const refreshed = await call("POST", `/api/tenants/${slug}/refresh-cache`, { type: "html" })
      expect(refreshed.status, refreshed.text).toBe(200)
      const after = await untilVersion("/welcome", "2")
      expect(after.headers).toMatchObject({ "x-cachely-version": "2", "x-cachely-cache": "MISS" })
      expect((await edgeRequest(edgeBase, { host, path: "/welcome" })).headers["x-cachely-cache"]).toBe("HIT")
    })

    it("given an API token saved through the API, then the edge injects it upstream, and it is visible nowhere else: not in the API's answers, the audit events, the KV, or the edge's answers", async () => {
      const config = await call("PUT", `/api/tenants/${slug}/api-config`, {
        apiOrigin: "https://api.e2e.test",
        apiAuthMode: "bearer"
      })
      expect(config.status, config.text).toBe(200)
      // Before the token: the gate is closed.
      const deadline = Date.now() + 5000
      let closed = await edgeRequest(edgeBase, { host, path: "/~api/entries" })
      while (closed.status !== 503 && Date.now() < deadline)
        closed = await edgeRequest(edgeBase, { host, path: "/~api/entries" })
      expect(closed.status).toBe(503)
      const saved = await call("PUT", `/api/tenants/${slug}/api-token`, { token: apiToken })
      expect(saved.status, saved.text).toBe(200)

      let reply = await edgeRequest(edgeBase, { host, path: "/~api/entries?limit=1" })
      while (reply.status !== 200 && Date.now() < deadline + 5000) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        reply = await edgeRequest(edgeBase, { host, path: "/~api/entries?limit=1" })
      }
      expect(reply.status).toBe(200)
      const upstream = api.seen.find((request) => request.url === "/entries?limit=1")
      expect(upstream?.headers.authorization).toBe(`Bearer ${apiToken}`)

      const everywhere = [
        JSON.stringify(reply.headers) + reply.body,
        (await call("GET", `/api/tenants/${slug}`)).text,
        (await call("GET", `/api/tenants/${slug}/audit-events`)).text,
        (await call("POST", `/api/tenants/${slug}/edge-config`)).text
      ]
      for (const text of everywhere) expect(text).not.toContain(apiToken)
      if (extraEnv.REDIS_URL === undefined) {
        const kvDir = join(dataDir, "kv")
        for (const file of await readdir(kvDir))
          expect(await readFile(join(kvDir, file), "utf8")).not.toContain(apiToken)
        const snapshot = JSON.parse(await readFile(join(kvDir, `proxy%3A${slug}`), "utf8")) as {
          api: { sealedToken: string | null }
        }
        expect(snapshot.api.sealedToken).toMatch(/^v1\./)
      }
    })
  })

endToEnd("PGlite + file KV", async () => ({ env: {}, teardown: async () => {} }))
if (postgresUrl !== undefined && redisUrl !== undefined) {
  const pg = postgresUrl
  const redis = redisUrl
  endToEnd("PostgreSQL + Redis", async () => {
    const scope = Scope.makeUnsafe()
    const url = await Effect.runPromise(Scope.provide(scope)(freshPostgresDatabase(pg)))
    return {
      env: { DATABASE_URL: url, REDIS_URL: redis },
      teardown: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
}
