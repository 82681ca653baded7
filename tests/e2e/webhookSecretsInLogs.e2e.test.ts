import { createHash, randomBytes } from "node:crypto"
import { formatWithOptions, inspect } from "node:util"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { describe, expect, it, vi } from "vitest"
import { databaseTargets } from "../support/databases.ts"
import { request } from "../support/http.ts"
import { redisUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/**
 * "No secret or hash in any log line": the server's logs are Effect's default logger,
 * which writes through `globalThis.console` (`console.log`, or `console.error` when
 * logging to stderr), so a spy on the console catches every line the in-process server
 * logs, exactly as Node would print it. Direct writes to stdout/stderr are recorded too.
 */
interface CapturedLine {
  /** The line as the console prints it (util.format, the default inspect depth). */
  readonly printed: string
  /** The same arguments rendered in full (no depth limit), so nothing hides below the fold. */
  readonly full: string
}

const consoleMethods = [
  "log",
  "info",
  "warn",
  "error",
  "debug",
  "trace",
  "dir",
  "group",
  "groupCollapsed"
] as const

const captureServerOutput = () => {
  const lines: Array<CapturedLine> = []
  const spies = consoleMethods.map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
      lines.push({
        printed: formatWithOptions({ colors: false }, ...args),
        full: args
          .map((arg) => (typeof arg === "string" ? arg : inspect(arg, { depth: Infinity, colors: false })))
          .join(" ")
      })
    })
  )
  const streams = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write
    stream.write = ((chunk: unknown, ...rest: Array<unknown>) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8")
      lines.push({ printed: text, full: text })
      return Reflect.apply(original, stream, [chunk, ...rest]) as boolean
    }) as typeof stream.write
    return () => {
      stream.write = original
    }
  })
  let stopped = false
  return {
    lines,
    stop: () => {
      if (stopped) return
      stopped = true
      for (const spy of spies) spy.mockRestore()
      for (const restore of streams) restore()
    }
  }
}

interface Needle {
  readonly label: string
  readonly value: string | RegExp
}

/** Every (needle, line) pair where the needle shows up, as a readable list for the assertion. */
const findLeaks = (lines: ReadonlyArray<CapturedLine>, needles: ReadonlyArray<Needle>) =>
  lines.flatMap((line) =>
    needles
      .filter(({ value }) =>
        [line.printed, line.full].some((text) =>
          typeof value === "string" ? text.includes(value) : value.test(text)
        )
      )
      .map(({ label }) => `${label} in: ${line.full.slice(0, 400)}`)
  )

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex")
/** Shaped like the real thing, so a presented (wrong) secret is caught by the generic patterns too. */
const lookalike = (prefix: string) => `${prefix}${randomBytes(32).toString("base64url")}`

let counter = 0
const uniqueSlug = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

/** A raw POST as a CMS sends it; only the status matters here. */
const post = async (
  server: TestServer,
  path: string,
  options: { readonly body?: string; readonly headers?: Record<string, string> } = {}
) => {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body })
  })
  await response.text()
  return response.status
}

/** Each provider's delivery; Prismic really does send the webhook's secret in its body. */
const deliveries = {
  contentful: (_secret: string) => ({
    headers: {
      "content-type": "application/vnd.contentful.management.v1+json",
      "x-contentful-topic": "ContentManagement.Entry.publish"
    },
    body: JSON.stringify({ sys: { type: "Entry", id: "5KsDBWseXY6QegucYAoacS" } })
  }),
  prismic: (secret: string) => ({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "api-update", domain: "my-repo", secret })
  }),
  storyblok: (_secret: string) => ({
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "published", space_id: 1234, story_id: 123456 })
  }),
  generic: (_secret: string) => ({ headers: { "content-type": "text/plain" }, body: "anything, not JSON" })
} as const

/** Makes every later append to `tenantId`'s stream fail in the database, as an outage would. */
const refuseAppendsFor = (tenantId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE FUNCTION test_refuse_appends() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tenant_id = '${tenantId}' THEN RAISE EXCEPTION 'append refused by the test'; END IF;
        RETURN NEW;
      END $$`)
    yield* sql.unsafe(
      "CREATE TRIGGER test_refuse_appends BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_refuse_appends()"
    )
  })

const tenantIdOf = (slug: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ tenant_id: string }>`SELECT tenant_id FROM tenants WHERE slug = ${slug}`
    return rows[0]!.tenant_id
  })

for (const target of databaseTargets) {
  describe(`Webhook secrets in the server's log lines (${target.name})`, () => {
    it("given a server whose every log line is captured, when webhook secrets are generated, rotated, presented right and wrong, regenerated and deleted, and the receivers and the API then fail on the database, then the log (its warnings and errors included) holds no secret, no SHA-256 of one and no bearer token", async () => {
      const capture = captureServerOutput()
      let server: TestServer | undefined
      // Values the server handed out or was sent: none may reach a log line.
      const secrets: Array<{ readonly label: string; readonly value: string }> = []
      const keep = (label: string, value: unknown) => {
        expect(value, label).toEqual(expect.any(String))
        secrets.push({ label, value: value as string })
        return value as string
      }
      // Values the log is expected to carry: proof that the capture sees the requests' data.
      const expectedInLog: Array<string> = []
      try {
        server = await startTestServer(
          target,
          target.name === "postgres" && redisUrl !== undefined ? { REDIS_URL: redisUrl } : {}
        )
        const live = server
        const owner = keep(
          "owner bearer token",
          await live.token("user_logs_owner", { email: "o@example.com" })
        )
        const slug = uniqueSlug("logs")
        const created = await request(live, "POST", "/api/tenants", {
          token: owner,
          body: { slug, cms: "generic", apiOrigin: "https://api.example.com" }
        })
        expect(created.status).toBe(201)

        // A line the server is known to log: the development mailer's INFO (token masked).
        const invited = await request(live, "POST", `/api/tenants/${slug}/members/invite`, {
          token: owner,
          body: { email: "logged-invitee@example.com", role: "editor" }
        })
        expect(invited.status).toBe(200)
        keep("invite token", invited.body.token)
        expectedInLog.push("mail not sent (SMTP_URL is not set)", "logged-invitee@example.com")

        // A forged session (by header and by cookie): refused, and not logged either way.
        const forged = `${owner.slice(0, owner.lastIndexOf(".") + 1)}${lookalike("")}`
        expect((await request(live, "GET", `/api/tenants/${slug}`, { token: forged })).status).toBe(401)
        const byCookie = await fetch(`${live.baseUrl}/api/tenants/${slug}`, {
          headers: { cookie: `__session=${forged}` }
        })
        await byCookie.text()
        expect(byCookie.status).toBe(401)

        // Site publish: not configured, generated (twice: the same), right, wrong, missing, rotated.
        const hook = `/api/tenants/${slug}/webhook`
        const siteUrl = (secret: string, at = hook) => `${at}?secret=${encodeURIComponent(secret)}`
        expect(await post(live, siteUrl(lookalike("whs_")))).toBe(403)
        const generated = await request(live, "POST", `${hook}-secret`, { token: owner })
        expect(generated.status).toBe(200)
        const site = keep("site secret", generated.body.secret)
        expect((await request(live, "POST", `${hook}-secret`, { token: owner })).body.secret).toBe(site)
        expect(await post(live, siteUrl(site), { body: "triggerType=site_publish" })).toBe(200)
        expect(await post(live, siteUrl(lookalike("whs_")))).toBe(401)
        expect(await post(live, hook)).toBe(401)
        expect(await post(live, siteUrl(site, "/api/tenants/no-such-tenant-for-logs/webhook"))).toBe(404)
        expect(await post(live, siteUrl(site), { body: "a".repeat(65_537) })).toBe(413)
        const rotated = await request(live, "PUT", `${hook}-secret`, { token: owner })
        expect(rotated.status).toBe(200)
        const rotatedSite = keep("rotated site secret", rotated.body.secret)
        expect(await post(live, siteUrl(site))).toBe(401)
        expect(await post(live, siteUrl(rotatedSite))).toBe(200)

        // Cache refresh, each provider: fired right and wrong, regenerated, the old URL, deleted.
        const base = `/api/tenants/${slug}/cache-refresh-webhooks`
        for (const [provider, delivery] of Object.entries(deliveries)) {
          const made = await request(live, "POST", base, { token: owner, body: { provider } })
          expect(made.status).toBe(200)
          const id: string = made.body.webhook.id
          const secret = keep(`${provider} secret`, made.body.secret)
          const path = new URL(made.body.url).pathname
          expect(path).toBe(`/api/webhooks/cache-refresh/${id}/${secret}`)

          expect(await post(live, path, delivery(secret)), `${provider} delivery`).toBe(200)
          expect(await post(live, `/api/webhooks/cache-refresh/${id}/${lookalike("whsec_")}`)).toBe(404)
          expect(await post(live, `/api/webhooks/cache-refresh/whk_unknown0000000000/${secret}`)).toBe(404)
          expect(await post(live, `${path}/extra`, { body: "{}" })).toBe(404)
          expect(await post(live, path, { body: "a".repeat(65_537) })).toBe(413)
          const viaGet = await fetch(`${live.baseUrl}${path}`)
          await viaGet.text()
          expect([404, 405]).toContain(viaGet.status)

          const regenerated = await request(live, "POST", `${base}/${id}/regenerate`, { token: owner })
          expect(regenerated.status).toBe(200)
          const fresh = keep(`${provider} regenerated secret`, regenerated.body.secret)
          expect(await post(live, path, delivery(secret))).toBe(404)
          const freshPath = new URL(regenerated.body.url).pathname
          expect(await post(live, freshPath, delivery(fresh))).toBe(200)

          expect((await request(live, "DELETE", `${base}/${id}`, { token: owner })).status).toBe(200)
          expect(await post(live, freshPath, delivery(fresh))).toBe(404)
        }

        // Failures: a second tenant whose appends the database refuses. The receivers log
        // their warnings, the API its "request failed" errors, each with the database's cause.
        const failing = uniqueSlug("logs-fail")
        expect(
          (
            await request(live, "POST", "/api/tenants", {
              token: owner,
              body: { slug: failing, cms: "generic", apiOrigin: "https://api.example.com" }
            })
          ).status
        ).toBe(201)
        const failingHook = await request(live, "POST", `/api/tenants/${failing}/cache-refresh-webhooks`, {
          token: owner,
          body: { provider: "prismic" }
        })
        const failingId: string = failingHook.body.webhook.id
        const failingSecret = keep("failing tenant's webhook secret", failingHook.body.secret)
        const failingGenerated = await request(live, "POST", `/api/tenants/${failing}/webhook-secret`, {
          token: owner
        })
        const failingSite = keep("failing tenant's site secret", failingGenerated.body.secret)
        await live.run(Effect.flatMap(tenantIdOf(failing), refuseAppendsFor))

        expect(
          await post(live, new URL(failingHook.body.url).pathname, deliveries.prismic(failingSecret))
        ).toBe(500)
        expect(await post(live, siteUrl(failingSite, `/api/tenants/${failing}/webhook`))).toBe(500)
        // These would hand out new secrets: the append fails with the new hash (or sealed
        // secret) in it, and the error is logged. The new values are never seen by the test,
        // so the generic patterns below stand for them.
        for (const [method, path, body] of [
          ["POST", `/api/tenants/${failing}/cache-refresh-webhooks/${failingId}/regenerate`, undefined],
          ["PUT", `/api/tenants/${failing}/webhook-secret`, undefined],
          ["POST", `/api/tenants/${failing}/cache-refresh-webhooks`, { provider: "generic" }]
        ] as const) {
          const refused = await request(live, method, path, { token: owner, body })
          expect(refused.status, `${method} ${path}`).toBe(500)
          expect(refused.body.error).toBe("internal")
        }
        expectedInLog.push(
          "cache-refresh webhook: refresh failed",
          failingId,
          "site-publish webhook: refresh failed",
          failing,
          "request failed",
          "append refused by the test"
        )
      } finally {
        await server?.close()
        capture.stop()
      }

      // The capture is live: the lines the server is known to write are there.
      const lines = capture.lines
      const text = lines.map((line) => line.printed).join("\n")
      for (const expected of expectedInLog)
        expect(text, `the log should mention ${expected}`).toContain(expected)
      expect(lines.filter((line) => line.printed.includes(" WARN ")).length).toBeGreaterThanOrEqual(2)
      expect(lines.filter((line) => line.printed.includes(" ERROR ")).length).toBeGreaterThanOrEqual(3)

      // And nothing secret is in any of them.
      expect(secrets.length).toBeGreaterThanOrEqual(14)
      const needles: Array<Needle> = secrets.flatMap(({ label, value }) => [
        { label, value },
        { label: `SHA-256 of the ${label}`, value: sha256Hex(value).slice(0, 16) }
      ])
      const jwtSignature = (token: string) => token.slice(token.lastIndexOf(".") + 1)
      needles.push(
        ...secrets
          .filter(({ label }) => label.includes("bearer"))
          .map(({ label, value }) => ({ label: `${label}'s signature`, value: jwtSignature(value) })),
        { label: "a bearer token or JWT", value: /eyJ[A-Za-z0-9_-]{8,}\.eyJ/ },
        { label: "a cache-refresh secret", value: /whsec_[A-Za-z0-9_-]{16,}/ },
        { label: "a site secret", value: /whs_[A-Za-z0-9_-]{16,}/ },
        { label: "an invite token", value: /inv_[A-Za-z0-9_-]{16,}/ },
        { label: "a SHA-256 hex digest", value: /\b[0-9a-f]{64}\b/i },
        { label: "a secret's field name", value: /secretHash|sealedSecret|tokenHash/ }
      )
      expect(findLeaks(lines, needles)).toEqual([])
    })
  })
}
