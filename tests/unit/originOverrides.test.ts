import { describe, expect, it } from "vitest"
import { parseOriginOverrides } from "../../adapters/outbound/originOverrides.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"

describe("ORIGIN_OVERRIDES", () => {
  it("given origins and base URLs, then a map of origin → target origin", () => {
    const overrides = parseOriginOverrides(
      JSON.stringify({
        "https://www.acme.test": "http://127.0.0.1:9000",
        "https://Acme.cachely.localhost:443/": "http://127.0.0.1:8787/"
      }),
      false
    )
    expect([...overrides]).toEqual([
      ["https://www.acme.test", "http://127.0.0.1:9000"],
      ["https://acme.cachely.localhost", "http://127.0.0.1:8787"]
    ])
  })

  it("given unset or empty, then no override", () => {
    expect(parseOriginOverrides(undefined, false).size).toBe(0)
    expect(parseOriginOverrides("  ", true).size).toBe(0)
  })

  it("given anything but an object of origins to origins, then a sentence naming the problem", () => {
    for (const raw of [
      "[]",
      "nope",
      '{"https://a.test":5}',
      '{"ftp://a.test":"http://127.0.0.1:1"}',
      '{"https://a.test/path":"http://127.0.0.1:1"}',
      '{"https://a.test":"http://u:p@127.0.0.1:1"}'
    ]) {
      expect(() => parseOriginOverrides(raw, false), raw).toThrow(/ORIGIN_OVERRIDES/)
    }
  })

  it("given NODE_ENV=production, then the server refuses to start with it", () => {
    expect(() =>
      settingsFromEnv({
        NODE_ENV: "production",
        ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
        AUTH_JWKS_URL: "https://idp.example.com/.well-known/jwks.json",
        ORIGIN_OVERRIDES: '{"https://www.acme.test":"http://127.0.0.1:9000"}'
      })
    ).toThrow(/ORIGIN_OVERRIDES .*production/)
  })
})
