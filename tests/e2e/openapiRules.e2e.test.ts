import Ajv2020Module from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pglite } from "../support/databases.ts"
import { type Reply, request, uniqueSlug } from "../support/http.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

// Both are CommonJS: the class and the plugin are their module's `default`.
const { default: Ajv2020 } = Ajv2020Module
const { default: addFormats } = addFormatsModule

/**
 * `/openapi.json` says what the API enforces: every value in `refused` is answered 400 by the
 * server and is invalid by the document's own schema for that request part (a real JSON Schema
 * validator, ajv draft 2020-12 with formats); every documented example, the CONTRACT's minimal
 * bodies and a few boundary values are valid by the document and accepted (2xx).
 */

type JsonSchema = { readonly [keyword: string]: unknown }
interface Parameter {
  readonly name: string
  readonly in: string
  readonly required?: boolean
  readonly schema: JsonSchema
}
interface Operation {
  readonly parameters?: ReadonlyArray<Parameter>
  readonly requestBody?: { readonly content: Record<string, { readonly schema: JsonSchema }> }
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>
  readonly [key: string]: unknown
}

type Method = "get" | "post" | "put" | "delete"

/** One request, by the document's path template: a JSON body or query parameters (as sent). */
interface Call {
  readonly method: Method
  readonly path: string
  readonly body?: unknown
  readonly query?: Readonly<Record<string, string>>
}

/** A value the server refuses, and the field whose rule refuses it. */
interface Refused extends Call {
  readonly field: string
  readonly what: string
}

const tenantPath = "/api/tenants/{slug}"
const createPath = "/api/tenants"

const createCase = (field: string, what: string, body: unknown): Refused => ({
  method: "post",
  path: createPath,
  field,
  what,
  body
})
const contentful = (fields: Record<string, unknown>) => ({
  slug: "rules-new",
  cms: "contentful",
  spaceId: "abc123",
  ...fields
})
const generic = (apiOrigin: unknown) => ({ slug: "rules-new", cms: "generic", apiOrigin })
const onTenant = (method: Method, suffix: string, field: string, what: string, body: unknown): Refused => ({
  method,
  path: `${tenantPath}${suffix}`,
  field,
  what,
  body
})
const update = (field: string, what: string, body: unknown) => onTenant("put", "", field, what, body)
const apiConfig = (field: string, what: string, fields: Record<string, unknown>) =>
  onTenant("put", "/api-config", field, what, {
    apiOrigin: "https://api.example.com",
    apiAuthMode: "none",
    ...fields
  })
const apiToken = (what: string, body: unknown) => onTenant("put", "/api-token", "token", what, body)
const invite = (field: string, what: string, body: unknown) =>
  onTenant("post", "/members/invite", field, what, body)
const auditQuery = (field: string, query: Record<string, string>): Refused => ({
  method: "get",
  path: `${tenantPath}/audit-events`,
  field,
  what: new URLSearchParams(query).toString(),
  query
})
const logsQuery = (field: string, query: Record<string, string>): Refused => ({
  method: "get",
  path: `${tenantPath}/logs`,
  field,
  what: new URLSearchParams(query).toString(),
  query
})
const availability = (what: string, query: Record<string, string>): Refused => ({
  method: "get",
  path: "/api/tenants/slug-availability",
  field: "slug",
  what,
  query
})

const refused: ReadonlyArray<Refused> = [
  // slugs
  createCase("slug", "too short", contentful({ slug: "ab" })),
  createCase("slug", "too long", contentful({ slug: "a".repeat(64) })),
  createCase("slug", "upper case", contentful({ slug: "ACME" })),
  createCase("slug", "a leading dash", contentful({ slug: "-acme" })),
  createCase("slug", "a trailing dash", contentful({ slug: "acme-" })),
  createCase("slug", "an underscore", contentful({ slug: "ac_me" })),
  createCase("slug", "empty", contentful({ slug: "" })),
  createCase("slug", "reserved www", contentful({ slug: "www" })),
  createCase("slug", "reserved slug-availability", contentful({ slug: "slug-availability" })),
  createCase("slug", "a number", contentful({ slug: 123 })),
  createCase("slug", "missing", { cms: "contentful", spaceId: "abc123" }),
  availability("too short", { slug: "ab" }),
  availability("spaces and punctuation", { slug: "Not A Slug!" }),
  availability("empty", { slug: "" }),
  availability("missing", {}),
  // the provider
  createCase("cms", "an unknown provider", contentful({ cms: "drupal" })),
  createCase("cms", "missing", { slug: "rules-new", spaceId: "abc123" }),
  createCase("spaceId", "contentful: a space", contentful({ spaceId: "abc 123" })),
  createCase("spaceId", "contentful: 65 characters", contentful({ spaceId: "a".repeat(65) })),
  createCase("spaceId", "contentful: empty", contentful({ spaceId: "" })),
  createCase("spaceId", "contentful: missing", { slug: "rules-new", cms: "contentful" }),
  createCase("environment", "contentful: non-ASCII", contentful({ environment: "mäster" })),
  createCase("repository", "prismic: a slash", { slug: "rules-new", cms: "prismic", repository: "a/b" }),
  createCase("repository", "prismic: 64 characters", {
    slug: "rules-new",
    cms: "prismic",
    repository: "r".repeat(64)
  }),
  createCase("spaceId", "storyblok: 33 characters", {
    slug: "rules-new",
    cms: "storyblok",
    spaceId: "1".repeat(33)
  }),
  createCase("region", "storyblok: an unknown region", {
    slug: "rules-new",
    cms: "storyblok",
    region: "mars"
  }),
  createCase("siteId", "webflow: a #", { slug: "rules-new", cms: "webflow", siteId: "site#1" }),
  createCase("projectId", "sanity: a !", { slug: "rules-new", cms: "sanity", projectId: "proj!" }),
  createCase("projectId", "sanity: missing", { slug: "rules-new", cms: "sanity", dataset: "production" }),
  createCase("dataset", "sanity: a space", {
    slug: "rules-new",
    cms: "sanity",
    projectId: "a1b2c3d4",
    dataset: "prod data"
  }),
  createCase("apiOrigin", "generic: http", generic("http://api.example.com")),
  createCase("apiOrigin", "generic: no scheme", generic("api.example.com")),
  createCase("apiOrigin", "generic: credentials", generic("https://user:pw@api.example.com")),
  createCase("apiOrigin", "generic: a query", generic("https://api.example.com/v1?x=1")),
  createCase("apiOrigin", "generic: a fragment", generic("https://api.example.com/#top")),
  createCase("apiOrigin", "generic: an empty query", generic("https://api.example.com?")),
  createCase("apiOrigin", "generic: a leading space", generic(" https://api.example.com")),
  createCase("apiOrigin", "generic: https: without //", generic("https:api.example.com")),
  createCase("apiOrigin", "generic: upper-case scheme", generic("HTTPS://api.example.com")),
  createCase("apiOrigin", "generic: a non-ASCII host", generic("https://bücher.de")),
  createCase("apiOrigin", "generic: a space in the path", generic("https://api.example.com/a b")),
  createCase(
    "apiOrigin",
    "generic: over 2048 characters",
    generic(`https://api.example.com/${"a".repeat(2048)}`)
  ),
  createCase("apiOrigin", "generic: missing", { slug: "rules-new", cms: "generic" }),
  // the other create fields
  createCase("websiteDomain", "a URL", contentful({ websiteDomain: "https://www.acme.com" })),
  createCase("websiteDomain", "a path", contentful({ websiteDomain: "www.acme.com/path" })),
  createCase("websiteDomain", "a port", contentful({ websiteDomain: "www.acme.com:8080" })),
  createCase("websiteDomain", "an IP address", contentful({ websiteDomain: "127.0.0.1" })),
  createCase("websiteDomain", "one label", contentful({ websiteDomain: "localhost" })),
  createCase("websiteDomain", "the Kelvin sign", contentful({ websiteDomain: "www.\u212Acme.com" })),
  createCase("websiteDomain", "a label starting with -", contentful({ websiteDomain: "-www.acme.com" })),
  createCase("websiteDomain", "a 64-character label", contentful({ websiteDomain: `${"a".repeat(64)}.com` })),
  createCase("websiteDomain", "a number", contentful({ websiteDomain: 5 })),
  createCase("cacheTTL", "negative", contentful({ cacheTTL: -1 })),
  createCase("cacheTTL", "over a year", contentful({ cacheTTL: 31_536_001 })),
  createCase("cacheTTL", "a fraction", contentful({ cacheTTL: 1.5 })),
  createCase("cacheTTL", "a string", contentful({ cacheTTL: "300" })),
  createCase("siteProxy", "a string", contentful({ siteProxy: "yes" })),
  createCase("(unknown)", "an unknown field", contentful({ owner: "someone" })),
  createCase("(body)", "not an object", ["acme"]),
  // a partial update
  update("cms", "an unknown provider", { cms: "drupal" }),
  update("spaceId", "a space", { spaceId: "bad id" }),
  update("environment", "65 characters", { environment: "e".repeat(65) }),
  update("repository", "a slash", { repository: "a/b" }),
  update("region", "an unknown region", { region: "mars" }),
  update("siteId", "a #", { siteId: "site#1" }),
  update("projectId", "a !", { projectId: "proj!" }),
  update("dataset", "a space", { dataset: "prod data" }),
  update("apiOrigin", "http", { apiOrigin: "http://api.example.com" }),
  update("websiteDomain", "a URL", { websiteDomain: "https://www.acme.com" }),
  update("cacheTTL", "negative", { cacheTTL: -1 }),
  update("siteProxy", "a number", { siteProxy: 1 }),
  update("(unknown)", "an unknown field", { nope: 1 }),
  // the API configuration and token
  apiConfig("apiOrigin", "http", { apiOrigin: "http://cdn.contentful.com" }),
  apiConfig("apiOrigin", "a query", { apiOrigin: "https://api.example.com/?token=x" }),
  apiConfig("apiAuthMode", "an unknown mode", { apiAuthMode: "basic" }),
  apiConfig("apiAuthHeaderName", "header mode without one", { apiAuthMode: "header" }),
  apiConfig("apiAuthQueryParam", "query mode without one", { apiAuthMode: "query" }),
  apiConfig("apiAuthHeaderName", "a space", { apiAuthMode: "header", apiAuthHeaderName: "X Api Key" }),
  apiConfig("apiAuthHeaderName", "an underscore", { apiAuthMode: "header", apiAuthHeaderName: "X_Api_Key" }),
  apiConfig("apiAuthHeaderName", "65 characters", {
    apiAuthMode: "header",
    apiAuthHeaderName: "X".repeat(65)
  }),
  apiConfig("apiAuthQueryParam", "a space", { apiAuthMode: "query", apiAuthQueryParam: "api key" }),
  apiConfig("apiCacheTTL", "negative", { apiCacheTTL: -5 }),
  apiConfig("cacheEnabled", "a string", { cacheEnabled: "true" }),
  apiConfig("previewEnabled", "null", { previewEnabled: null }),
  apiConfig("(unknown)", "an unknown field", { apiToken: "x" }),
  onTenant("put", "/api-config", "apiOrigin", "missing", { apiAuthMode: "none" }),
  apiToken("empty", { token: "" }),
  apiToken("blank", { token: " \t\n" }),
  apiToken("missing", {}),
  apiToken("8193 characters", { token: "x".repeat(8193) }),
  apiToken("8193 emoji", { token: "🔑".repeat(8193) }),
  // cache refresh and its webhooks
  onTenant("post", "/refresh-cache", "type", "an unknown type", { type: "everything" }),
  onTenant("post", "/refresh-cache", "type", "missing", {}),
  onTenant("post", "/cache-refresh-webhooks", "provider", "not a webhook provider", { provider: "webflow" }),
  onTenant("post", "/cache-refresh-webhooks", "provider", "missing", {}),
  onTenant("post", "/cache-refresh-webhooks", "refreshAssets", "a string", {
    provider: "generic",
    refreshAssets: "yes"
  }),
  // analytics, bandwidth and usage queries
  ...[
    ["/analytics", "period", "1y"],
    ["/analytics", "period", ""],
    ["/analytics", "period", "7D"],
    ["/bandwidth-daily", "from", "2026-13-01"],
    ["/bandwidth-daily", "from", "yesterday"],
    ["/bandwidth-daily", "to", "2026-1-01"],
    ["/usage", "period", "2026-13"],
    ["/usage", "period", "26-12"]
  ].map(
    ([suffix, field, value]): Refused => ({
      method: "get",
      path: `${tenantPath}${suffix}`,
      field: field!,
      what: JSON.stringify(value),
      query: { [field!]: value! }
    })
  ),
  {
    method: "get",
    path: "/api/tenants/usage",
    field: "period",
    what: "month 00",
    query: { period: "2026-00" }
  },
  // the audit history's query
  auditQuery("limit", { limit: "0" }),
  auditQuery("limit", { limit: "201" }),
  auditQuery("limit", { limit: "-1" }),
  auditQuery("limit", { limit: "1.5" }),
  auditQuery("limit", { limit: "abc" }),
  auditQuery("limit", { limit: "" }),
  auditQuery("beforeId", { beforeId: "0" }),
  auditQuery("beforeId", { beforeId: "-1" }),
  auditQuery("beforeId", { beforeId: "abc" }),
  // the request logs' query
  logsQuery("limit", { limit: "0" }),
  logsQuery("limit", { limit: "201" }),
  logsQuery("limit", { limit: "abc" }),
  logsQuery("cursor", { cursor: "c".repeat(513) }),
  logsQuery("status", { status: "600" }),
  logsQuery("status", { status: "4XX" }),
  logsQuery("status", { status: "99" }),
  logsQuery("cache", { cache: "WARM" }),
  logsQuery("surface", { surface: "cdn" }),
  logsQuery("method", { method: "G3T" }),
  logsQuery("method", { method: "" }),
  logsQuery("path", { path: "blog" }),
  logsQuery("path", { path: `/${"p".repeat(2048)}` }),
  logsQuery("from", { from: "yesterday" }),
  logsQuery("from", { from: "2026-12-32" }),
  logsQuery("to", { to: "2026-12-05T25:00:00Z" }),
  // members and invites
  invite("email", "no @", { email: "not-an-email", role: "editor" }),
  invite("email", "an undotted domain", { email: "ann@example", role: "editor" }),
  invite("email", "a space", { email: "ann smith@example.com", role: "editor" }),
  invite("email", "angle brackets", { email: "<ann@example.com>", role: "editor" }),
  invite("email", "two addresses", { email: "ann@example.com,bob@example.com", role: "editor" }),
  invite("email", "255 characters", { email: `${"a".repeat(243)}@example.com`, role: "editor" }),
  invite("role", "an unknown role", { email: "ann@example.com", role: "superuser" }),
  invite("role", "missing", { email: "ann@example.com" }),
  onTenant("post", "/members/update-role", "role", "an unknown role", { userId: "user_x", role: "god" }),
  onTenant("post", "/members/update-role", "userId", "empty", { userId: "", role: "admin" }),
  onTenant("post", "/members/remove", "userId", "256 characters", { userId: "u".repeat(256) }),
  onTenant("post", "/members/remove", "userId", "missing", {}),
  onTenant("post", "/members/revoke-invite", "inviteId", "zero", { inviteId: 0 }),
  onTenant("post", "/members/revoke-invite", "inviteId", "a string", { inviteId: "1" }),
  onTenant("post", "/members/revoke-invite", "inviteId", "a fraction", { inviteId: 1.5 }),
  { method: "post", path: "/api/invites/accept", field: "token", what: "empty", body: { token: "" } },
  {
    method: "post",
    path: "/api/invites/accept",
    field: "token",
    what: "513 characters",
    body: { token: `inv_${"x".repeat(509)}` }
  },
  // custom domains (the document states the length bounds; the domain's rules refuse more, see customDomains.e2e)
  onTenant("post", "/domains", "hostname", "empty", { hostname: "" }),
  onTenant("post", "/domains", "hostname", "1025 characters", {
    hostname: `${"a".repeat(1013)}.example.com`
  }),
  onTenant("post", "/domains", "hostname", "missing", {}),
  onTenant("post", "/domains/verify", "hostname", "empty", { hostname: "" }),
  onTenant("post", "/domains/verify", "hostname", "a number", { hostname: 5 }),
  {
    method: "delete",
    path: `${tenantPath}/domains`,
    field: "hostname",
    what: "empty",
    query: { hostname: "" }
  }
]

/** The JSON Schema keywords that state a rule (not merely a kind of value). */
const ruleKeywords = [
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "enum",
  "const",
  "not",
  "format"
]

/** True when a schema (or any schema inside it, $refs aside) states a rule. */
const statesRule = (schema: unknown): boolean =>
  typeof schema === "object" &&
  schema !== null &&
  Object.entries(schema).some(([key, value]) => ruleKeywords.includes(key) || statesRule(value))

const documentId = "https://tenantry.test/openapi.json"
const pointerToken = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1")

/** A query value as OpenAPI reads it for its schema: numbers for a numeric schema, else the string. */
const deserialize = (schema: JsonSchema, raw: string): unknown =>
  (schema.type === "integer" || schema.type === "number") && /^-?\d+(?:\.\d+)?$/.test(raw) ? Number(raw) : raw

describe("The OpenAPI document states the rules the server enforces", () => {
  let server: TestServer
  let owner: string
  let document: Document
  let ajv: InstanceType<typeof Ajv2020>
  let slug: string

  /** The document's schema at `pointer` (ajv resolves every $ref inside it against the document). */
  const validatorAt = (...segments: ReadonlyArray<string | number>) =>
    ajv.compile({ $ref: `${documentId}#/${segments.map((s) => pointerToken(String(s))).join("/")}` })

  const operation = ({ method, path }: Call): Operation => {
    const found = document.paths[path]?.[method]
    if (found === undefined) throw new Error(`${method} ${path} is not in the document`)
    return found
  }

  /** Whether the call is valid by the document: its body and its query parameters. */
  const validByDocument = (call: Call): { readonly valid: boolean; readonly errors: unknown } => {
    const op = operation(call)
    if (call.body !== undefined) {
      const validate = validatorAt(
        "paths",
        call.path,
        call.method,
        "requestBody",
        "content",
        "application/json",
        "schema"
      )
      return { valid: validate(call.body), errors: validate.errors }
    }
    const query = call.query ?? {}
    for (const [index, parameter] of (op.parameters ?? []).entries()) {
      if (parameter.in !== "query") continue
      const raw = query[parameter.name]
      if (raw === undefined) {
        if (parameter.required === true) return { valid: false, errors: `${parameter.name} is required` }
        continue
      }
      const validate = validatorAt("paths", call.path, call.method, "parameters", index, "schema")
      if (!validate(deserialize(parameter.schema, raw))) return { valid: false, errors: validate.errors }
    }
    return { valid: true, errors: null }
  }

  const send = (call: Call, token = owner): Promise<Reply> => {
    const query = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`
    const path = call.path.replace("{slug}", slug)
    return request(server, call.method.toUpperCase(), `${path}${query}`, {
      token,
      ...(call.body === undefined ? {} : { body: call.body })
    })
  }

  beforeAll(async () => {
    server = await startTestServer(pglite)
    owner = await server.token("user_rules_owner")
    document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as Document
    // Strict, but for two lints that are not JSON Schema: a type on every keyword's schema, and
    // `required` naming only properties declared beside it (api-config's if/then names them).
    ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true })
    addFormats(ajv)
    // The document's own fields are not JSON Schema keywords: declared, so strict mode lets them be.
    for (const key of Object.keys(document)) ajv.addKeyword(key)
    ajv.addSchema({ ...document, $id: documentId })
    slug = uniqueSlug("rules")
    const created = await send({
      method: "post",
      path: createPath,
      body: { slug, cms: "contentful", spaceId: "abc123" }
    })
    expect(created.status).toBe(201)
  })
  afterAll(async () => {
    await server?.close()
  })

  it(`given ${refused.length} values the server refuses, then each is 400 validation_failed and invalid by the document`, async () => {
    expect(refused.length).toBeGreaterThanOrEqual(40)
    const before = await send({ method: "get", path: tenantPath })
    const mismatches: Array<string> = []
    for (const call of refused) {
      const label = `${call.method} ${call.path} ${call.field}: ${call.what}`
      const reply = await send(call)
      if (reply.status !== 400 || reply.body?.error !== "validation_failed") {
        mismatches.push(`${label}: the server answered ${reply.status} ${JSON.stringify(reply.body)}`)
      }
      if (validByDocument(call).valid) mismatches.push(`${label}: valid by the document`)
    }
    expect(mismatches).toEqual([])
    // Nothing was created or changed on the way.
    expect((await send({ method: "get", path: createPath })).body.total).toBe(1)
    expect(await send({ method: "get", path: tenantPath })).toEqual(before)
  })

  it("given the document, then every request field that states a rule has refused values in the corpus", () => {
    const covered = new Set(refused.map((call) => `${call.method} ${call.path} ${call.field}`))
    const ruled: Array<string> = []
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const parameter of op.parameters ?? []) {
          if (parameter.in === "query" && statesRule(parameter.schema))
            ruled.push(`${method} ${path} ${parameter.name}`)
        }
        const body = op.requestBody?.content["application/json"]?.schema
        const members =
          (body?.anyOf as ReadonlyArray<JsonSchema> | undefined) ?? (body === undefined ? [] : [body])
        for (const member of members) {
          for (const [name, schema] of Object.entries((member.properties ?? {}) as Record<string, unknown>)) {
            if (statesRule(schema)) ruled.push(`${method} ${path} ${name}`)
          }
        }
      }
    }
    expect(ruled.length).toBeGreaterThan(30)
    expect([...new Set(ruled)].filter((field) => !covered.has(field))).toEqual([])
  })

  /**
   * How to run each documented example, in this order: some need what an earlier one made (the
   * invite that `revoke-invite`'s example names), or a member to exist first.
   */
  const exampleRunners: ReadonlyArray<readonly [string, (call: Call) => Promise<Reply>]> = [
    [
      `post ${createPath}`,
      async (call) => {
        // Another user creates and deletes each one, so the plan limit and the slugs stay free.
        const creator = await server.token("user_rules_creator")
        const reply = await send(call, creator)
        if (reply.status === 201) {
          const created = (call.body as { slug: string }).slug
          expect(
            (await request(server, "DELETE", `/api/tenants/${created}`, { token: creator })).status
          ).toBe(200)
        }
        return reply
      }
    ],
    ["get /api/tenants/slug-availability", send],
    [`put ${tenantPath}`, send],
    [`post ${tenantPath}/refresh-cache`, send],
    [`get ${tenantPath}/audit-events`, send],
    [`get ${tenantPath}/logs`, send],
    [`put ${tenantPath}/api-config`, send],
    [`put ${tenantPath}/api-token`, send],
    [`post ${tenantPath}/cache-refresh-webhooks`, send],
    [`post ${tenantPath}/members/invite`, send],
    [`post ${tenantPath}/members/revoke-invite`, send],
    [
      `post ${tenantPath}/members/update-role`,
      async (call) => {
        // The example's user joins first, through an invite they accept.
        const { userId } = call.body as { userId: string }
        const invited = await send({
          method: "post",
          path: `${tenantPath}/members/invite`,
          body: { email: `${userId}@example.com`, role: "editor" }
        })
        expect(invited.status).toBe(200)
        const accepted = await request(server, "POST", "/api/invites/accept", {
          token: await server.token(userId),
          body: { token: invited.body.token }
        })
        expect(accepted.status).toBe(200)
        return send(call)
      }
    ],
    [`post ${tenantPath}/members/remove`, send],
    // The example domain is added, verified (DNS cannot be asked here: still 200), then removed.
    [`post ${tenantPath}/domains`, send],
    [`post ${tenantPath}/domains/verify`, send],
    [`delete ${tenantPath}/domains`, send],
    [`get ${tenantPath}/analytics`, send],
    [`get ${tenantPath}/bandwidth-daily`, send],
    [`get ${tenantPath}/usage`, send],
    ["get /api/tenants/usage", send],
    // Fetch problems are ok:false answers (200): the example names a site this test never reaches.
    [`post ${tenantPath}/website-implementation-check`, send]
  ]

  /** Every example the document gives for a request body or a query parameter, as calls. */
  const documentedExamples = (): Array<Call> => {
    const calls: Array<Call> = []
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item) as Array<[Method, Operation]>) {
        const body = op.requestBody?.content["application/json"]?.schema
        for (const example of (body?.examples as ReadonlyArray<unknown> | undefined) ?? []) {
          calls.push({ method, path, body: example })
        }
        for (const parameter of op.parameters ?? []) {
          if (parameter.in !== "query") continue
          for (const example of (parameter.schema.examples as ReadonlyArray<unknown> | undefined) ?? []) {
            calls.push({ method, path, query: { [parameter.name]: String(example) } })
          }
        }
      }
    }
    return calls
  }

  /** What is wrong with a call both the document and the server should accept: nothing, or sentences. */
  const acceptedByBoth = async (call: Call, run: (call: Call) => Promise<Reply>) => {
    const label = `${call.method} ${call.path} ${JSON.stringify(call.body ?? call.query).slice(0, 120)}`
    const problems: Array<string> = []
    const byDocument = validByDocument(call)
    if (!byDocument.valid)
      problems.push(`${label}: invalid by the document ${JSON.stringify(byDocument.errors)}`)
    const reply = await run(call)
    if (reply.status < 200 || reply.status >= 300) {
      problems.push(`${label}: the server answered ${reply.status} ${JSON.stringify(reply.body)}`)
    }
    return problems
  }

  it("given every documented example, then each is valid by the document and accepted by the server", async () => {
    const examples = documentedExamples()
    const runnable = new Set(exampleRunners.map(([key]) => key))
    expect(
      examples.map((call) => `${call.method} ${call.path}`).filter((key) => !runnable.has(key)),
      "examples this test does not know how to run"
    ).toEqual([])
    // Every request body but accept-invite's (a one-time token) has examples.
    const withBodies = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.requestBody?.content["application/json"] !== undefined)
        .map(([method]) => `${method} ${path}`)
    )
    expect(
      withBodies.filter((key) => !examples.some((call) => `${call.method} ${call.path}` === key))
    ).toEqual(["post /api/invites/accept"])
    const mismatches: Array<string> = []
    for (const [key, run] of exampleRunners) {
      for (const call of examples.filter((example) => `${example.method} ${example.path}` === key)) {
        mismatches.push(...(await acceptedByBoth(call, run)))
      }
    }
    expect(mismatches).toEqual([])
  })

  it("given the CONTRACT's minimal bodies and values at the edges of the rules, then each is valid by the document and accepted", async () => {
    const [, createAndDelete] = exampleRunners[0]!
    const creates = [
      { slug: "acme", cms: "contentful", spaceId: "abc123" },
      { slug: "acme", cms: "generic", apiOrigin: "https://api.example.com" },
      { slug: "abc", cms: "storyblok" },
      { slug: `a${"-".repeat(61)}z`, cms: "webflow", websiteDomain: "WWW.Acme.COM" },
      { slug: "a0-9", cms: "prismic", repository: "r".repeat(63), websiteDomain: `${"a".repeat(63)}.com` },
      {
        slug: "acme",
        cms: "generic",
        apiOrigin: `https://api.example.com:8443/${"😀".repeat(2048 - "https://api.example.com:8443/".length)}`
      },
      { slug: "www2", cms: "contentful", spaceId: "S".repeat(64), cacheTTL: 31_536_000, websiteDomain: null },
      { slug: "acme", cms: "generic", apiOrigin: "https://[2001:db8::1]:8443/v1" },
      { slug: "acme", cms: "generic", apiOrigin: "https://xn--bcher-kva.example/api_v2/" }
    ]
    const onTenantCalls: ReadonlyArray<Call> = [
      { method: "put", path: `${tenantPath}/api-token`, body: { token: "🔑".repeat(8192) } },
      { method: "put", path: `${tenantPath}/api-token`, body: { token: " x " } },
      {
        method: "put",
        path: `${tenantPath}/api-config`,
        body: {
          apiOrigin: "https://api.example.com",
          apiAuthMode: "header",
          apiAuthHeaderName: "X".repeat(64)
        }
      },
      { method: "put", path: tenantPath, body: { slug, spaceId: "s.p_a-c3", cacheTTL: 0 } },
      { method: "get", path: `${tenantPath}/audit-events`, query: { limit: "1", beforeId: "1" } },
      { method: "get", path: `${tenantPath}/audit-events`, query: { limit: "200" } },
      { method: "get", path: "/api/tenants/slug-availability", query: { slug: "www" } },
      {
        method: "post",
        path: `${tenantPath}/members/invite`,
        body: { email: "ünïcødé+tag@exämple.de", role: "viewer" }
      }
    ]
    const mismatches: Array<string> = []
    for (const call of [
      ...creates.map((body): Call => ({ method: "post", path: createPath, body })),
      ...onTenantCalls
    ]) {
      mismatches.push(...(await acceptedByBoth(call, call.path === createPath ? createAndDelete : send)))
    }
    expect(mismatches).toEqual([])
  })
})
