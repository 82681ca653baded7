import { request as httpRequest } from "node:http"
import { connect } from "node:net"
import { PgClient } from "@effect/sql-pg"
import { Deferred, Effect, Exit, ManagedRuntime, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Database from "../../adapters/sql/Database.ts"
import { Config } from "../../application/config.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { WebhookStore } from "../../application/ports/WebhookStore.ts"
import { receiveCacheRefresh } from "../../application/webhooks/receiveWebhook.ts"
import { databaseTargets, freshPostgresDatabase } from "../support/databases.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { postgresUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/** A raw POST: any body, any headers (or none), as a CMS would send it. */
const post = async (
  server: TestServer,
  path: string,
  options: { readonly body?: string | Uint8Array; readonly headers?: Record<string, string> } = {}
) => {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body })
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are read field by field in assertions
    body: (text === "" ? undefined : JSON.parse(text)) as any
  }
}

/** A chunked body (no Content-Length) of `bytes` bytes: the limit must hold while streaming. */
const postChunked = (server: TestServer, path: string, bytes: number) =>
  new Promise<number>((resolve, reject) => {
    const url = new URL(`${server.baseUrl}${path}`)
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST" },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      }
    )
    req.on("error", (error) => (String(error).includes("EPIPE") ? undefined : reject(error)))
    const chunk = Buffer.alloc(8192, 97)
    let sent = 0
    const pump = () => {
      while (sent < bytes) {
        const size = Math.min(chunk.length, bytes - sent)
        sent += size
        if (!req.write(chunk.subarray(0, size))) return req.once("drain", pump)
      }
      req.end()
    }
    pump()
  })

/**
 * Streams up to `bytes` of body over a raw socket (chunked, or with `declared` as its
 * Content-Length), going on after the answer as a careless or hostile client would, and
 * reports the answer's status and Connection header, and how much went out before the
 * server closed the connection (everything, if it never did).
 */
const pumpUntilClosed = (server: TestServer, path: string, bytes: number, declared?: number) =>
  new Promise<{ status: number; connection: string | undefined; sent: number }>((resolve) => {
    const url = new URL(server.baseUrl)
    const socket = connect(Number(url.port), url.hostname)
    let answer = ""
    let sent = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      socket.destroy()
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
        connection: /\r\nconnection: ([^\r]*)/i.exec(answer)?.[1]?.toLowerCase(),
        sent
      })
    }
    socket.on("data", (data: Buffer) => {
      answer += data.toString("latin1")
    })
    socket.on("end", finish)
    socket.on("close", finish)
    socket.on("error", finish)
    const length = declared === undefined ? "transfer-encoding: chunked" : `content-length: ${declared}`
    socket.write(`POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n${length}\r\n\r\n`)
    const chunk = Buffer.alloc(64 * 1024, 97)
    const framed =
      declared === undefined
        ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")])
        : chunk
    const pump = () => {
      while (sent < bytes && !socket.destroyed) {
        sent += chunk.length
        if (!socket.write(framed)) return socket.once("drain", pump)
      }
      if (sent >= bytes) setTimeout(finish, 500)
    }
    pump()
  })

/** A new tenant of `owner` with one cache-refresh webhook: the create answer and its receiver path. */
const tenantWithWebhookOn = async (
  server: TestServer,
  owner: string,
  body: Record<string, unknown> = { provider: "generic" }
) => {
  const slug = await createGenericTenant(server, owner, "hook")
  const created = await request(server, "POST", `/api/tenants/${slug}/cache-refresh-webhooks`, {
    token: owner,
    body
  })
  expect(created.status).toBe(200)
  return { slug, created, path: new URL(created.body.url).pathname }
}

/** Each provider's documented delivery: headers and body as they send it. */
const deliveries = {
  contentful: {
    headers: {
      "content-type": "application/vnd.contentful.management.v1+json",
      "x-contentful-topic": "ContentManagement.Entry.publish"
    },
    body: JSON.stringify({
      sys: {
        type: "Entry",
        id: "5KsDBWseXY6QegucYAoacS",
        space: { sys: { type: "Link", linkType: "Space", id: "yadj1kx9rmg0" } }
      },
      fields: { title: { "en-US": "Hello, World!" } }
    }),
    eventType: "ContentManagement.Entry.publish"
  },
  prismic: {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "api-update",
      masterRef: "ZBGy7RAAACQA3Y7W",
      releases: {},
      masks: {},
      tags: {},
      experiments: {},
      documents: ["ZBGy6BAAACMA3Y6x"],
      domain: "my-repo",
      apiUrl: "https://my-repo.prismic.io/api",
      secret: null
    }),
    eventType: "api-update"
  },
  storyblok: {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      text: "The user test@storyblok.com published the Story XYZ",
      action: "published",
      space_id: 1234,
      story_id: 123456,
      full_slug: "home"
    }),
    eventType: "published"
  },
  generic: { headers: { "content-type": "text/plain" }, body: "anything at all, not JSON", eventType: null }
} as const

for (const target of databaseTargets) {
  describe(`Webhooks over HTTP (${target.name})`, () => {
    let server: TestServer

    beforeAll(async () => {
      server = await startTestServer(target)
    })
    afterAll(async () => {
      await server?.close()
    })

    const createTenant = (owner: string) => createGenericTenant(server, owner, "hook")
    const tenantWithWebhook = (owner: string, body?: Record<string, unknown>) =>
      tenantWithWebhookOn(server, owner, body)
    /** Regenerates the webhook's secret: the answer must be 200; its new receiver path. */
    const regenerate = async (owner: string, slug: string, id: string) => {
      const regenerated = await request(
        server,
        "POST",
        `/api/tenants/${slug}/cache-refresh-webhooks/${id}/regenerate`,
        { token: owner }
      )
      expect(regenerated.status).toBe(200)
      return receiverPath(regenerated.body.url)
    }
    const snapshotOf = (slug: string) =>
      server.run(
        Effect.gen(function* () {
          const kv = yield* Kv
          const value = yield* kv.get(`proxy:${slug}`)
          return value === undefined ? undefined : (JSON.parse(value) as { cache: Record<string, number> })
        })
      )
    const receiverPath = (url: string) => new URL(url).pathname

    for (const [provider, delivery] of Object.entries(deliveries)) {
      it(`given a ${provider} cache-refresh webhook, when it is created, fired with ${provider}'s real payload, listed, regenerated and deleted, then each step answers as documented and no secret or hash shows anywhere`, async () => {
        const owner = await server.token(`user_owner_${provider}`)
        const slug = await createTenant(owner)
        const base = `/api/tenants/${slug}/cache-refresh-webhooks`

        // create: the secret and URL, once
        const created = await request(server, "POST", base, { token: owner, body: { provider } })
        expect(created.status).toBe(200)
        const { webhook, secret, url } = created.body
        expect(webhook).toMatchObject({ provider, refreshApi: true, refreshAssets: false, enabled: true })
        expect(webhook.id).toMatch(/^whk_[a-z0-9]+$/)
        expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
        const publicBaseUrl = await server.run(
          Effect.map(Effect.service(Config), (config) => config.publicBaseUrl)
        )
        expect(url).toBe(`${publicBaseUrl}/api/webhooks/cache-refresh/${webhook.id}/${secret}`)

        // fire
        const fired = await post(server, receiverPath(url), {
          headers: delivery.headers,
          body: delivery.body
        })
        expect(fired.status).toBe(200)
        expect(fired.body).toEqual({
          ok: true,
          refreshed: true,
          versions: { apiCacheVersion: 2, assetCacheVersion: 1, htmlCacheVersion: 1 }
        })
        expect((await snapshotOf(slug))?.cache.apiCacheVersion).toBe(2)

        // its history
        const events = await request(server, "GET", `${base}/${webhook.id}/events`, { token: owner })
        expect(events.status).toBe(200)
        expect(events.body.events).toHaveLength(1)
        expect(events.body.events[0]).toMatchObject({
          status: "synced",
          previousApiCacheVersion: 1,
          nextApiCacheVersion: 2,
          refreshType: "api",
          eventType: delivery.eventType,
          message: null
        })
        expect(events.body.events[0].kvSyncedAt).toEqual(expect.any(String))
        expect(events.body.events[0].durationMs).toEqual(expect.any(Number))

        // the list: metadata and the last delivery, never the hash
        const listed = await request(server, "GET", base, { token: owner })
        expect(listed.status).toBe(200)
        expect(listed.body.webhooks).toEqual([
          expect.objectContaining({
            id: webhook.id,
            provider,
            lastStatus: "synced",
            lastTriggeredAt: expect.any(String)
          })
        ])
        expect(Object.keys(listed.body.webhooks[0]).sort()).toEqual(
          [
            "createdAt",
            "enabled",
            "id",
            "lastStatus",
            "lastTriggeredAt",
            "provider",
            "refreshApi",
            "refreshAssets",
            "updatedAt"
          ].sort()
        )

        // regenerate: the old URL is dead at once
        const regenerated = await request(server, "POST", `${base}/${webhook.id}/regenerate`, {
          token: owner
        })
        expect(regenerated.status).toBe(200)
        expect(regenerated.body.webhook.id).toBe(webhook.id)
        expect(regenerated.body.secret).not.toBe(secret)
        expect((await post(server, receiverPath(url), { body: "{}" })).status).toBe(404)
        const again = await post(server, receiverPath(regenerated.body.url), {
          headers: delivery.headers,
          body: delivery.body
        })
        expect(again.status).toBe(200)
        expect(again.body.versions.apiCacheVersion).toBe(3)

        // delete: the URL is dead, the history kept
        const deleted = await request(server, "DELETE", `${base}/${webhook.id}`, { token: owner })
        expect(deleted.status).toBe(200)
        expect(deleted.body).toEqual({ ok: true })
        expect((await post(server, receiverPath(regenerated.body.url), { body: "{}" })).status).toBe(404)
        expect((await request(server, "GET", `${base}/${webhook.id}/events`, { token: owner })).status).toBe(
          404
        )
        expect((await request(server, "DELETE", `${base}/${webhook.id}`, { token: owner })).status).toBe(404)
        const kept = await server.run(
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            return yield* sql<{
              n: unknown
            }>`SELECT count(*) AS n FROM tenant_webhook_events WHERE webhook_id = ${webhook.id}`
          })
        )
        expect(Number(kept[0]!.n)).toBe(2)

        // the audit history: every step, deliveries by the webhook, and no secret or hash
        const audit = await request(server, "GET", `/api/tenants/${slug}/audit-events`, { token: owner })
        const types = audit.body.events.map((event: { type: string }) => event.type)
        expect(types).toEqual(
          expect.arrayContaining([
            "CacheRefreshWebhookCreated",
            "CacheRefreshWebhookRegenerated",
            "CacheRefreshWebhookDeleted"
          ])
        )
        const bumps = audit.body.events.filter(
          (event: { type: string }) => event.type === "CacheVersionsBumped"
        )
        expect(bumps).toHaveLength(2)
        for (const bump of bumps) expect(bump.actor).toEqual({ type: "webhook", id: webhook.id })
        const everything = JSON.stringify([audit.body, listed.body, events.body, await snapshotOf(slug)])
        for (const leaked of [secret, regenerated.body.secret]) {
          expect(everything).not.toContain(leaked)
          expect(everything).not.toContain((await sha256(leaked)).slice(0, 16))
        }
        expect(everything).not.toMatch(/secretHash|sealedSecret|whsec_/)
      })
    }

    it("given a webhook that opts into assets, when it fires, then the api and asset versions both go up by one", async () => {
      const owner = await server.token("user_owner_assets")
      const { slug, created, path } = await tenantWithWebhook(owner, {
        provider: "generic",
        refreshAssets: true
      })
      expect(created.body.webhook.refreshAssets).toBe(true)
      const fired = await post(server, path)
      expect(fired.status).toBe(200)
      expect(fired.body.versions).toEqual({ apiCacheVersion: 2, assetCacheVersion: 2, htmlCacheVersion: 1 })
      expect((await snapshotOf(slug))?.cache).toMatchObject({ apiCacheVersion: 2, assetCacheVersion: 2 })
    })

    it("given invalid create bodies and roles, when they create webhooks, then 400 for an unknown provider and 403 below admin", async () => {
      const owner = await server.token("user_owner_validation")
      const slug = await createTenant(owner)
      const base = `/api/tenants/${slug}/cache-refresh-webhooks`
      expect(
        (await request(server, "POST", base, { token: owner, body: { provider: "wordpress" } })).status
      ).toBe(400)
      expect(
        (await request(server, "POST", base, { token: owner, body: { provider: "generic", extra: 1 } }))
          .status
      ).toBe(400)
      expect((await request(server, "POST", `${base}/whk_nope/regenerate`, { token: owner })).status).toBe(
        404
      )
    })

    it("given the site-publish webhook, when it is called before a secret exists, with no, a wrong, the right and a rotated secret, then 403, 401, 200 and 401 in turn, and 404 for an unknown tenant", async () => {
      const owner = await server.token("user_owner_site")
      const slug = await createTenant(owner)
      const hook = `/api/tenants/${slug}/webhook`

      const unconfigured = await post(server, `${hook}?secret=whatever`)
      expect(unconfigured.status).toBe(403)
      expect(unconfigured.body).toMatchObject({ error: "forbidden", message: "webhook not configured" })
      expect((await post(server, "/api/tenants/no-such-tenant-here/webhook?secret=x")).status).toBe(404)

      const first = await request(server, "POST", `${hook}-secret`, { token: owner })
      expect(first.status).toBe(200)
      const second = await request(server, "POST", `${hook}-secret`, { token: owner })
      expect(second.body.secret).toBe(first.body.secret)

      expect((await post(server, hook)).status).toBe(401)
      expect((await post(server, `${hook}?secret=wrong`)).status).toBe(401)
      const published = await post(server, `${hook}?secret=${encodeURIComponent(first.body.secret)}`, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "triggerType=site_publish&payload=whatever"
      })
      expect(published.status).toBe(200)
      expect(published.body).toEqual({ ok: true, htmlCacheVersion: 2 })
      expect((await snapshotOf(slug))?.cache.htmlCacheVersion).toBe(2)

      const rotated = await request(server, "PUT", `${hook}-secret`, { token: owner })
      expect(rotated.status).toBe(200)
      expect(rotated.body.secret).not.toBe(first.body.secret)
      expect((await post(server, `${hook}?secret=${encodeURIComponent(first.body.secret)}`)).status).toBe(401)
      // Repeated, the right one among them: still not "the" secret, so 401 (not a 400).
      const repeated = `${hook}?secret=${encodeURIComponent(rotated.body.secret)}&secret=other`
      expect((await post(server, repeated)).status).toBe(401)
      const afterRotation = await post(server, `${hook}?secret=${encodeURIComponent(rotated.body.secret)}`, {
        body: new Uint8Array([0, 1, 2, 255])
      })
      expect(afterRotation.status).toBe(200)
      expect(afterRotation.body.htmlCacheVersion).toBe(3)

      const audit = await request(server, "GET", `/api/tenants/${slug}/audit-events`, { token: owner })
      const serialized = JSON.stringify(audit.body)
      expect(serialized).not.toContain(first.body.secret)
      expect(serialized).not.toContain(rotated.body.secret)
      expect(serialized).not.toMatch(/sealedSecret/)
      const bumps = audit.body.events.filter(
        (event: { type: string }) => event.type === "CacheVersionsBumped"
      )
      for (const bump of bumps) expect(bump.actor).toEqual({ type: "webhook", id: "site-publish" })
    })

    it("given the receivers, when bodies of 64 KiB + 1 arrive with and without Content-Length, then 413; exactly 64 KiB is accepted", async () => {
      const owner = await server.token("user_owner_limits")
      const { slug, path } = await tenantWithWebhook(owner)
      const secret = (await request(server, "POST", `/api/tenants/${slug}/webhook-secret`, { token: owner }))
        .body.secret
      const site = `/api/tenants/${slug}/webhook?secret=${encodeURIComponent(secret)}`

      const tooBig = await post(server, path, {
        body: "a".repeat(65_537),
        headers: { "content-type": "text/plain" }
      })
      expect(tooBig.status).toBe(413)
      expect(tooBig.body.error).toBe("payload_too_large")
      expect((await post(server, site, { body: "a".repeat(65_537) })).status).toBe(413)
      expect(await postChunked(server, path, 65_537)).toBe(413)
      expect(await postChunked(server, site, 200_000)).toBe(413)
      expect((await post(server, path, { body: "a".repeat(65_536) })).status).toBe(200)
      expect((await snapshotOf(slug))?.cache.apiCacheVersion).toBe(2)
    })

    it("given odd path segments (NUL bytes, undecodable bytes, non-ASCII, overlong), when the receivers are called, then 404 or 400, never 5xx", async () => {
      for (const segment of ["%00", "whk_abc%00", "%ff", "pr%C3%B6be", "a".repeat(300), "whk_%F0%9F%98%80"]) {
        for (const path of [
          `/api/webhooks/cache-refresh/${segment}/whsec_x`,
          `/api/webhooks/cache-refresh/whk_abc/${segment}`,
          `/api/tenants/${segment}/webhook?secret=${segment}`
        ]) {
          const reply = await post(server, path, { body: "{}" })
          expect([400, 404], `${path} → ${reply.status}`).toContain(reply.status)
          expect(reply.body.error).toEqual(expect.any(String))
        }
      }
    })

    it("given wrong secrets and unknown ids, when they are refused first by the database and then from memory, then both answers are the same to the byte, and a regenerated secret is refused from the first request on", async () => {
      const owner = await server.token("user_owner_gate")
      const { slug, created, path } = await tenantWithWebhook(owner)
      const id = created.body.webhook.id
      const refusals = [
        path.replace(/whsec_.*/, "whsec_wrong"),
        `/api/webhooks/cache-refresh/whk_${"0".repeat(24)}/whsec_x`
      ]
      for (const refused of refusals) {
        const answers = []
        for (let i = 0; i < 3; i++) {
          const response = await fetch(`${server.baseUrl}${refused}`, { method: "POST", body: "{}" })
          const headers = [...response.headers].filter(([name]) => name !== "date" && name !== "x-request-id")
          answers.push({ status: response.status, headers, body: await response.text() })
        }
        expect(answers[0]!.status).toBe(404)
        expect(answers[1]).toEqual(answers[0])
        expect(answers[2]).toEqual(answers[0])
      }
      // Known to memory as valid, then regenerated: the old secret is refused at once.
      expect((await post(server, path, { body: "{}" })).status).toBe(200)
      const regenerated = await regenerate(owner, slug, id)
      expect((await post(server, path, { body: "{}" })).status).toBe(404)
      expect((await post(server, regenerated, { body: "{}" })).status).toBe(200)
    })

    it("given the same delivery by its plain URL and by a percent-escaped one, then both reach the one receiver route: answers alike to the byte, versions one apart, and both in the history", async () => {
      const owner = await server.token("user_owner_doors")
      const { slug, created, path } = await tenantWithWebhook(owner, { provider: "storyblok" })
      // "%77" is "w": the router decodes it to the same route and the same webhook id.
      const escaped = path.replace("/whk_", "/%77hk_")
      const wrong = path.replace(/whsec_.*/, "whsec_wrong")
      const answer = async (target: string) => {
        const response = await fetch(`${server.baseUrl}${target}`, {
          method: "POST",
          headers: { ...deliveries.storyblok.headers, "x-request-id": "req-doors" },
          body: deliveries.storyblok.body
        })
        return {
          status: response.status,
          headers: [...response.headers].filter(([name]) => name !== "date"),
          body: await response.text()
        }
      }
      const plain = await answer(path)
      const percentEscaped = await answer(escaped)
      expect(plain.status).toBe(200)
      expect(percentEscaped.headers).toEqual(plain.headers)
      expect(JSON.parse(plain.body).versions.apiCacheVersion).toBe(2)
      expect(percentEscaped.body).toBe(plain.body.replace('"apiCacheVersion":2', '"apiCacheVersion":3'))
      expect(await answer(wrong.replace("/whk_", "/%77hk_"))).toEqual(await answer(wrong))

      const history = await request(
        server,
        "GET",
        `/api/tenants/${slug}/cache-refresh-webhooks/${created.body.webhook.id}/events`,
        { token: owner }
      )
      expect(
        history.body.events.map((event: { status: string; eventType: string }) => [
          event.status,
          event.eventType
        ])
      ).toEqual([
        ["synced", deliveries.storyblok.eventType],
        ["synced", deliveries.storyblok.eventType]
      ])
    })

    it("given a refused or oversized delivery whose body keeps coming, when the receiver has answered, then it reads at most a little more and closes the connection instead of reading the whole body", async () => {
      const owner = await server.token("user_owner_unread")
      const { path } = await tenantWithWebhook(owner)
      const huge = 64 * 1024 * 1024
      // Chunked, over the limit while streaming: 413, then the connection is closed.
      const streamed = await pumpUntilClosed(server, path, huge)
      expect(streamed.status).toBe(413)
      expect(streamed.sent).toBeLessThan(huge / 2)
      // Declared far over the limit: 413 at once, saying the connection ends.
      const declared = await pumpUntilClosed(server, path, huge, 500 * 1024 * 1024)
      expect(declared).toMatchObject({ status: 413, connection: "close" })
      expect(declared.sent).toBeLessThan(huge / 2)
      // Refused from memory before the body (known here once delivered to): the same.
      expect((await post(server, path, { body: "{}" })).status).toBe(200)
      const refused = await pumpUntilClosed(server, path.replace(/whsec_.*/, "whsec_wrong"), huge)
      expect(refused.status).toBe(404)
      expect(refused.sent).toBeLessThan(huge / 2)
      // A small body left unread by a refusal is drained: the connection stays usable.
      const keptAlive = await fetch(`${server.baseUrl}${path.replace(/whsec_.*/, "whsec_wrong")}`, {
        method: "POST",
        body: "x".repeat(10_000)
      })
      expect(keptAlive.status).toBe(404)
      expect(keptAlive.headers.get("connection")).not.toBe("close")
    })

    it("given clients that send Expect: 100-continue (as .NET's HttpClient does), when they deliver, then a valid delivery gets the go-ahead and a 200, and a refused one a 404 without its body being asked for", async () => {
      const owner = await server.token("user_owner_expect")
      const { path } = await tenantWithWebhook(owner)
      const deliver = (target: string) =>
        new Promise<{ status: number; continued: boolean; body: string }>((resolve, reject) => {
          const url = new URL(`${server.baseUrl}${target}`)
          let continued = false
          const req = httpRequest(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: "POST",
              headers: { expect: "100-continue", "content-type": "application/json", "content-length": 2 }
            },
            (response) => {
              let body = ""
              response.on("data", (chunk) => {
                body += chunk
              })
              response.on("end", () => {
                clearTimeout(stalled)
                resolve({ status: response.statusCode ?? 0, continued, body })
              })
            }
          )
          req.on("continue", () => {
            continued = true
            req.end("{}")
          })
          req.on("error", reject)
          // A receiver that never says "continue" leaves such a client waiting for ever.
          const stalled = setTimeout(() => {
            req.destroy()
            reject(new Error(`no answer to ${target} within 5 s`))
          }, 5000)
        })
      const valid = await deliver(path)
      expect(valid).toMatchObject({ status: 200, continued: true })
      expect(JSON.parse(valid.body).versions.apiCacheVersion).toBe(2)
      // Known to this node by now: refused from memory, before any body.
      const refused = await deliver(path.replace(/whsec_.*/, "whsec_wrong"))
      expect(refused).toMatchObject({ status: 404, continued: false })
    })

    it("given a receiver whose lookup still holds the webhook as it was before a regeneration (as another node's may for a moment), when the old secret is presented, then the stream refuses it: 404 and no bump", async () => {
      const owner = await server.token("user_owner_stale")
      const { slug, created, path } = await tenantWithWebhook(owner)
      const id = created.body.webhook.id
      const oldSecret = path.split("/").at(-1)!
      expect((await post(server, path, { body: "{}" })).status).toBe(200)
      const before = await server.run(Effect.flatMap(WebhookStore, (store) => store.byId(id)))
      const regenerated = await regenerate(owner, slug, id)

      const stale = (store: WebhookStore["Service"]): WebhookStore["Service"] => ({
        ...store,
        byId: () => Effect.succeed(before),
        cached: () => ({ value: before })
      })
      const outcome = await server.run(
        Effect.flatMap(WebhookStore, (store) =>
          receiveCacheRefresh(id, oldSecret, { requestId: "req-stale", eventType: () => null }).pipe(
            Effect.provideService(WebhookStore, stale(store))
          )
        )
      )
      expect(outcome).toEqual({ _tag: "NotFound" })
      const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(tenant.body.value.apiCacheVersion).toBe(2)
      expect((await post(server, regenerated, { body: "{}" })).status).toBe(200)
    })

    // Only PostgreSQL can hold a row lock on one connection while the server works on others.
    if (target.name === "postgres")
      it("given a delivery held up past the receipt delay, when it is in flight, then the history shows it received, and once it ends the same row is synced", async () => {
        const owner = await server.token("user_owner_slow")
        const { slug, created, path } = await tenantWithWebhook(owner)
        const base = `/api/tenants/${slug}/cache-refresh-webhooks`
        const history = async () =>
          (await request(server, "GET", `${base}/${created.body.webhook.id}/events`, { token: owner })).body
            .events as ReadonlyArray<{ id: number; status: string; durationMs: number | null }>

        // The delivery's append waits for the tenant's stream row, locked here until released.
        const release = Deferred.makeUnsafe<void>()
        const locked = Deferred.makeUnsafe<void>()
        const holder = server.run(
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            yield* sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`SELECT 1 FROM streams s JOIN tenants t ON s.tenant_id = t.tenant_id
                  WHERE t.slug = ${slug} FOR UPDATE OF s`
                yield* Deferred.succeed(locked, undefined)
                yield* Deferred.await(release)
              })
            )
          })
        )
        await Effect.runPromise(Deferred.await(locked))
        const delivery = post(server, path, { body: "{}" })
        let inFlight: ReadonlyArray<{ id: number; status: string }> = []
        for (let attempt = 0; attempt < 100 && inFlight.length === 0; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          inFlight = await history()
        }
        expect(inFlight.map((row) => row.status)).toEqual(["received"])

        await Effect.runPromise(Deferred.succeed(release, undefined))
        await holder
        expect((await delivery).status).toBe(200)
        const done = await history()
        expect(done).toHaveLength(1)
        expect(done[0]!.id).toBe(inFlight[0]!.id)
        expect(done[0]!.status).toBe("synced")
        expect(done[0]!.durationMs).toBeGreaterThanOrEqual(100)
      })

    // A server on a database of this test's own, which outlives the server: what the
    // shutdown left behind is read after it.
    if (target.name === "postgres")
      it("given a delivery in flight whose client has gone away, when the server shuts down, then the shutdown waits for the delivery and its history row is finished, not left received", async () => {
        const scope = Scope.makeUnsafe()
        const database = await Effect.runPromise(
          Scope.provide(scope)(freshPostgresDatabase(postgresUrl ?? ""))
        )
        const own = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(database), maxConnections: 2 }))
        const query = <A extends object>(
          statement: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>
        ) => own.runPromise(Effect.flatMap(SqlClient.SqlClient, statement))
        try {
          const shutting = await startTestServer({
            name: "postgres",
            layer: () => Database.layer({ _tag: "postgres", url: database, maxConnections: 10 })
          })
          let closing: Promise<void> | undefined
          try {
            const owner = await shutting.token("user_owner_shutdown")
            const { slug, created, path } = await tenantWithWebhookOn(shutting, owner)
            const id: string = created.body.webhook.id
            const history = () =>
              query<{ status: string; next_api_cache_version: number | null }>(
                (sql) =>
                  sql`SELECT status, next_api_cache_version FROM tenant_webhook_events WHERE webhook_id = ${id}`
              )

            // The delivery's append waits for the tenant's stream row, locked here until released.
            const release = Deferred.makeUnsafe<void>()
            const locked = Deferred.makeUnsafe<void>()
            const holder = own.runPromise(
              Effect.gen(function* () {
                const sql = yield* SqlClient.SqlClient
                yield* sql.withTransaction(
                  Effect.gen(function* () {
                    yield* sql`SELECT 1 FROM streams s JOIN tenants t ON s.tenant_id = t.tenant_id
                      WHERE t.slug = ${slug} FOR UPDATE OF s`
                    yield* Deferred.succeed(locked, undefined)
                    yield* Deferred.await(release)
                  })
                )
              })
            )
            await Effect.runPromise(Deferred.await(locked))
            const client = new AbortController()
            const delivery = fetch(`${shutting.baseUrl}${path}`, {
              method: "POST",
              body: "{}",
              signal: client.signal
            }).catch(() => undefined)
            let inFlight: ReadonlyArray<{ status: string }> = []
            for (let attempt = 0; attempt < 100 && inFlight.length === 0; attempt++) {
              await new Promise((resolve) => setTimeout(resolve, 20))
              inFlight = await history()
            }
            expect(inFlight.map((row) => row.status)).toEqual(["received"])

            // The client goes away, then the server is told to stop while the delivery waits.
            client.abort()
            await delivery
            closing = shutting.close()
            await new Promise((resolve) => setTimeout(resolve, 300))
            await Effect.runPromise(Deferred.succeed(release, undefined))
            await holder
            await closing
            expect(await history()).toEqual([{ status: "synced", next_api_cache_version: 2 }])
          } finally {
            await (closing ?? shutting.close())
          }
        } finally {
          await own.dispose()
          await Effect.runPromise(Scope.close(scope, Exit.void))
        }
      })

    it("given one webhook, when 200 valid deliveries arrive at once, then each counts exactly once and the KV snapshot ends with the last version", async () => {
      const owner = await server.token("user_owner_burst")
      const { slug, created, path } = await tenantWithWebhook(owner, { provider: "contentful" })
      const replies = await Promise.all(
        Array.from({ length: 200 }, () => post(server, path, deliveries.contentful))
      )
      expect(replies.map((reply) => reply.status)).toEqual(Array(200).fill(200))
      const versions = replies.map((reply) => reply.body.versions.apiCacheVersion).sort((a, b) => a - b)
      expect(versions).toEqual(Array.from({ length: 200 }, (_, i) => i + 2))
      expect((await snapshotOf(slug))?.cache.apiCacheVersion).toBe(201)
      const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(tenant.body.value.apiCacheVersion).toBe(201)
      const events = await request(
        server,
        "GET",
        `/api/tenants/${slug}/cache-refresh-webhooks/${created.body.webhook.id}/events`,
        {
          token: owner
        }
      )
      expect(events.body.events).toHaveLength(50)
      expect(events.body.events.every((event: { status: string }) => event.status === "synced")).toBe(true)
    })
  })

  describe(`Webhook receivers under abuse (${target.name})`, () => {
    let server: TestServer

    beforeAll(async () => {
      server = await startTestServer(target, {
        WEBHOOK_RATE_LIMIT_PER_WEBHOOK: "40/10",
        WEBHOOK_RATE_LIMIT_PER_CLIENT: "100/20"
      })
    })
    afterAll(async () => {
      await server?.close()
    })

    it("given deliveries by a percent-escaped URL, when they exceed the limits, then they get 429 with Retry-After too, and only the accepted ones bump", async () => {
      const owner = await server.token("user_owner_escaped_flood")
      const { slug, path } = await tenantWithWebhookOn(server, owner)
      const escaped = path.replace("/whk_", "/%77hk_")
      const replies = await Promise.all(
        Array.from({ length: 60 }, () => post(server, escaped, { body: "{}" }))
      )
      const limited = replies.filter((reply) => reply.status === 429)
      expect(limited.length).toBeGreaterThan(0)
      expect(limited[0]!.body.error).toBe("rate_limited")
      expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      const accepted = replies.filter((reply) => reply.status === 200).length
      expect(accepted + limited.length).toBe(60)
      const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(tenant.body.value.apiCacheVersion).toBe(1 + accepted)
    })

    it("given a flood of wrong-secret deliveries, when they arrive, then only 404s and 429s with Retry-After come back, no 5xx, and nothing stored changes", async () => {
      const owner = await server.token("user_owner_flood")
      const { slug, created } = await tenantWithWebhookOn(server, owner)
      const id = created.body.webhook.id
      const wrong = [
        `/api/webhooks/cache-refresh/${id}/whsec_wrong`,
        `/api/webhooks/cache-refresh/whk_unknown000000/whsec_x`,
        `/api/webhooks/cache-refresh/${id}/${"x".repeat(300)}`
      ]
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => post(server, wrong[i % wrong.length]!, { body: "{}" }))
      )
      const statuses = new Set(replies.map((reply) => reply.status))
      expect([...statuses].sort()).toEqual([404, 429])
      const limited = replies.find((reply) => reply.status === 429)!
      expect(limited.body.error).toBe("rate_limited")
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
      const notFound = replies.filter((reply) => reply.status === 404)
      expect(
        new Set(
          notFound.map((reply) => JSON.stringify({ error: reply.body.error, message: reply.body.message }))
        ).size
      ).toBe(1)

      const tenant = await request(server, "GET", `/api/tenants/${slug}`, { token: owner })
      expect(tenant.body.value.apiCacheVersion).toBe(1)
      const stored = await server.run(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          return yield* sql<{
            n: unknown
          }>`SELECT count(*) AS n FROM tenant_webhook_events WHERE webhook_id = ${id}`
        })
      )
      expect(Number(stored[0]!.n)).toBe(0)
    })
  })
}

const sha256 = async (text: string) =>
  Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))), (byte) =>
    byte.toString(16).padStart(2, "0")
  ).join("")
