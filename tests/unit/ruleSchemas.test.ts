import Ajv2020Module from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ApiTokenBody, UpdateTenantBody } from "../../adapters/http/api/bodies.ts"
import { Email } from "../../domain/shared/email.ts"
import { Hostname, HostnameInput, isHostname } from "../../domain/shared/hostname.ts"
import { UserId } from "../../domain/shared/ids.ts"
import {
  ApiAuthHeaderName,
  ApiAuthQueryParam,
  ContentfulConfig,
  HttpsOriginInput,
  PrismicConfig,
  reservedSlugs,
  Slug,
  SlugFormat,
  StoryblokConfig
} from "../../domain/tenant/index.ts"

const { default: Ajv2020 } = Ajv2020Module
const { default: addFormats } = addFormatsModule

const ajv = new Ajv2020({ strict: true, strictTypes: false })
addFormats(ajv)

/** Whether the JSON Schema Effect derives from `schema` (as `/openapi.json` does) accepts a value. */
const byDocument = (schema: Schema.Top) => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  expect(document.definitions).toEqual({})
  const validate = ajv.compile(document.schema)
  return (value: unknown): boolean => validate(value)
}

/** Whether the server's decoding (every issue, unknown keys refused, as the API decodes) accepts it. */
const byServer = (schema: Schema.Top) => {
  const decode = Schema.decodeUnknownResult(schema as Schema.Codec<unknown, unknown>)
  return (value: unknown): boolean =>
    decode(value, { errors: "all", onExcessProperty: "error" })._tag === "Success"
}

/** Strings of the given characters, also long ones, and strings of one character at lengths around `bounds`. */
const strings = (chars: ReadonlyArray<string>, bounds: ReadonlyArray<number> = []) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...chars), maxLength: 80 }),
    fc
      .tuple(fc.constantFrom(...chars), fc.constantFrom(...bounds, 0, 1), fc.integer({ min: -2, max: 2 }))
      .map(([char, bound, delta]) => char.repeat(Math.max(0, bound + delta)))
  )

/** Exact rules: the document accepts a value exactly when the server does. */
const exact: ReadonlyArray<readonly [string, Schema.Top, fc.Arbitrary<string>]> = [
  [
    "Slug",
    Slug,
    fc.oneof(strings(["a", "z", "0", "9", "-", "A", "_", " "], [3, 63]), fc.constantFrom(...reservedSlugs))
  ],
  [
    "SlugFormat",
    SlugFormat,
    fc.oneof(strings(["a", "0", "-", "A"], [3, 63]), fc.constantFrom(...reservedSlugs))
  ],
  ["Hostname", Hostname, strings(["a", "z", "0", "-", ".", "A", "_", "\u212A"], [4, 63, 253])],
  ["HostnameInput", HostnameInput, strings(["a", "Z", "0", "-", ".", "_", "\u212A", "k"], [4, 63, 253])],
  ["Email", Email, strings(["a", "@", ".", " ", '"', "<", ",", ";", "ü", "😀"], [254])],
  ["ApiAuthHeaderName", ApiAuthHeaderName, strings(["X", "a", "0", "-", "_", " ", "é"], [64])],
  ["ApiAuthQueryParam", ApiAuthQueryParam, strings(["a", "0", ".", "_", "-", " ", "/"], [64])],
  [
    "contentful spaceId",
    ContentfulConfig.fields.spaceId,
    strings(["a", "Z", "0", ".", "_", "-", " ", "é"], [64])
  ],
  ["prismic repository", PrismicConfig.fields.repository, strings(["a", "-", "/", "😀"], [63])],
  ["storyblok spaceId", StoryblokConfig.fields.spaceId, strings(["1", "a", " "], [32])],
  ["api token", ApiTokenBody.fields.token, strings(["x", " ", "\t", "\n", "🔑"], [8192])],
  ["user id", UserId, strings(["u", "😀", " "], [255])]
]

/** Rules the document states less of: whatever the server accepts, the document accepts too. */
const atMost: ReadonlyArray<readonly [string, Schema.Top, fc.Arbitrary<string>]> = [
  [
    "HttpsOriginInput",
    HttpsOriginInput,
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom("https://", "HTTPS://", "http://", "https:", " https://", "https:///", ""),
          strings(["a", ".", "-", ":", "8", "@", "/", "?", "#", " ", "\\", "[", "é", "😀"])
        )
        .map(([scheme, rest]) => `${scheme}${rest}`),
      fc.integer({ min: 2030, max: 2060 }).map((n) => `https://api.example.com/${"😀".repeat(n - 24)}`)
    )
  ],
  ["UpdateTenantBody spaceId", UpdateTenantBody.fields.spaceId, strings(["a", "0", " ", "-"], [32, 64])]
]

describe("the request rules and the JSON Schema /openapi.json derives from them", () => {
  for (const [name, schema, values] of exact) {
    it(`given any string, then ${name} accepts it exactly when its JSON Schema does`, () => {
      const server = byServer(schema)
      const document = byDocument(schema)
      fc.assert(
        fc.property(values, (value) => server(value) === document(value)),
        { numRuns: 2000 }
      )
    })
  }

  for (const [name, schema, values] of atMost) {
    it(`given any string ${name} accepts, then its JSON Schema accepts it too`, () => {
      const server = byServer(schema)
      const document = byDocument(schema)
      fc.assert(
        fc.property(values, (value) => !server(value) || document(value)),
        { numRuns: 2000 }
      )
    })
  }

  it("given any string, then isHostname agrees with the lookaround pattern it replaced", () => {
    const before = /^(?=.{4,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{0,62}(?<!-)$/
    fc.assert(
      fc.property(strings(["a", "z", "0", "-", ".", "A", "\n"], [4, 63, 64, 253]), (value) => {
        expect(isHostname(value)).toBe(before.test(value))
      }),
      { numRuns: 5000 }
    )
    for (const value of [
      "a.bc",
      "a.b",
      `${"a".repeat(63)}.com`,
      `${"a".repeat(64)}.com`,
      "x.1com",
      "a-.com"
    ]) {
      expect(isHostname(value), value).toBe(before.test(value))
    }
  })
})
