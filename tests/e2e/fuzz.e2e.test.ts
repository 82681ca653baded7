import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseTargets } from "../support/databases.ts"
import { request } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

/** Valid bodies per endpoint; mutants are derived from them. */
const validBodies: Record<string, ReadonlyArray<Record<string, unknown>>> = {
  update: [
    { cacheTTL: 600 },
    { websiteDomain: "www.example.com", siteProxy: true },
    { environment: "staging" }
  ],
  "refresh-cache": [{ type: "api" }, { type: "all" }],
  "api-config": [
    { apiOrigin: "https://api.example.com", apiAuthMode: "none" },
    {
      apiOrigin: "https://api.example.com",
      apiAuthMode: "header",
      apiAuthHeaderName: "X-Key",
      apiCacheTTL: 30
    }
  ],
  "api-token": [{ token: "t0ken" }],
  create: [
    { slug: "fuzz-create", cms: "contentful", spaceId: "abc123" },
    { slug: "fuzz-create", cms: "generic", apiOrigin: "https://api.example.com" }
  ]
}

/** `[[[…]]]` nested `depth` deep: parsers and decoders must not recurse into a 500. */
const deeplyNested = (depth: number): unknown => {
  let value: unknown = "x"
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

const nasty = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.constant("A".repeat(10_000)),
  fc.constant("\u0000\uD800 ünïcødé"),
  fc.constant(-1),
  fc.constant(1e308),
  fc.constant(true),
  fc.constant([]),
  fc.constant({}),
  fc.constant("A".repeat(200_000)),
  fc.constant(deeplyNested(500)),
  fc.constant({ __proto__: null, constructor: "x" }),
  fc.constant("https://api.example.com"),
  fc.constant("www.example.com"),
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.integer(),
  fc.double(),
  fc.jsonValue()
)

/** A valid body with one thing wrong: a field dropped, retyped, or one added. */
const mutant = (bodies: ReadonlyArray<Record<string, unknown>>) =>
  fc
    .tuple(fc.constantFrom(...bodies), fc.nat(), nasty, fc.constantFrom("drop", "retype", "extra"))
    .map(([body, index, value, how]) => {
      const keys = Object.keys(body)
      const key = keys[index % keys.length]!
      const copy: Record<string, unknown> = { ...body }
      if (how === "drop") delete copy[key]
      else if (how === "retype") copy[key] = value
      else copy[`extra_${index % 5}`] = value
      return copy
    })

const anyBody = (bodies: ReadonlyArray<Record<string, unknown>>) =>
  fc.oneof(
    fc.json(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    mutant(bodies).map((body) => JSON.stringify(body)),
    // two things wrong at once
    mutant(bodies)
      .chain((body) => mutant([body]))
      .map((body) => JSON.stringify(body))
  )

for (const target of databaseTargets) {
  describe(`Fuzzing JSON bodies (${target.name})`, () => {
    let server: TestServer
    let token: string
    const slug = `fuzz-${target.name}-${Date.now().toString(36)}`

    beforeAll(async () => {
      server = await startTestServer(target, { PLANS: JSON.stringify({ free: { maxTenants: 1000 } }) })
      token = await server.token("user_fuzzer")
      const created = await request(server, "POST", "/api/tenants", {
        token,
        body: { slug, cms: "contentful", spaceId: "abc123" }
      })
      expect(created.status).toBe(201)
    })
    afterAll(async () => {
      await server?.close()
    })

    /** What a 4xx must leave as it was: the tenant's value and its history. */
    const state = async () => {
      const read = await request(server, "GET", `/api/tenants/${slug}`, { token })
      const audit = await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token })
      const tenants = await request(server, "GET", "/api/tenants", { token })
      return JSON.stringify([read.body, audit.body.events.length, tenants.body.total])
    }

    const send = (method: string, path: string, body: string) =>
      fetch(`${server.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body
      })

    const endpoints: ReadonlyArray<[string, string, string]> = [
      ["update", "PUT", `/api/tenants/{slug}`],
      ["refresh-cache", "POST", `/api/tenants/{slug}/refresh-cache`],
      ["api-config", "PUT", `/api/tenants/{slug}/api-config`],
      ["api-token", "PUT", `/api/tenants/{slug}/api-token`],
      ["create", "POST", "/api/tenants"]
    ]

    for (const [name, method, pathTemplate] of endpoints) {
      it(`given arbitrary JSON and near-valid mutants for ${name}, then never a 5xx, and a 4xx changes nothing`, async () => {
        const path = pathTemplate.replace("{slug}", slug)
        await fc.assert(
          fc.asyncProperty(anyBody(validBodies[name]!), async (body) => {
            const before = await state()
            const reply = await send(method, path, body)
            const text = await reply.text()
            expect(reply.status, `${body} → ${text}`).toBeLessThan(500)
            expect(reply.headers.get("content-type") ?? "").toContain("json")
            if (reply.status >= 400) {
              expect(JSON.parse(text).error, text).toEqual(expect.any(String))
              expect(await state(), body).toBe(before)
            } else if (name === "create") {
              // A mutant that is still valid creates a tenant: remove it again.
              const created = JSON.parse(body) as { slug: string }
              await request(server, "DELETE", `/api/tenants/${created.slug}`, { token })
            }
          }),
          {
            numRuns: 40,
            // Field names that are Object.prototype members once broke error reporting (500).
            examples: [
              ['{"valueOf":[]}'],
              ['{"__proto__":{"x":1}}'],
              ['{"constructor":1}'],
              ['{"toString":null}'],
              [`{"type":${"[".repeat(100_000)}${"]".repeat(100_000)}}`],
              [`{"token":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`],
              ['{"cacheTTL":1e999}'],
              ['{"slug":"\\ud800"}']
            ]
          }
        )
      })
    }
  })
}
