import { Effect, Exit, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as CloudflareKv from "../../adapters/kv/CloudflareKv.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { type FakeCloudflare, startFakeCloudflare } from "../support/fakeCloudflare.ts"
import { kvContract } from "./Kv.contract.ts"

// Cloudflare's API is SaaS, out of reach here: the adapter runs against a local fake of the
// documented endpoints and rules (tests/support/fakeCloudflare.ts).
const token = "cf-test-token-not-a-secret"
let fake: FakeCloudflare | undefined
const started = startFakeCloudflare({ token }).then((server) => {
  fake = server
  return server
})
afterAll(() => fake?.close())

const layerFor = (overrides: Partial<CloudflareKv.CloudflareKvConfig> = {}) =>
  Layer.unwrap(
    Effect.promise(() => started).pipe(
      Effect.map((server) =>
        CloudflareKv.layer({
          accountId: "acct",
          namespaceId: `ns-${Math.random().toString(36).slice(2)}`,
          apiToken: token,
          apiBaseUrl: server.apiBaseUrl,
          ...overrides
        })
      )
    )
  )

kvContract("cloudflare (local fake of the REST API)", layerFor())

describe("CloudflareKv", () => {
  let server: FakeCloudflare
  beforeAll(async () => {
    server = await started
  })

  it("given the snapshot writer's keys, then they are stored under their own names (the Worker reads them as they are)", async () => {
    await Effect.runPromise(
      Effect.gen(function* () {
        const kv = yield* Kv
        yield* kv.setMany([
          ["proxy:acme", '{"slug":"acme"}'],
          ["host:www.acme.com", '{"slug":"acme"}']
        ])
      }).pipe(Effect.provide(layerFor({ namespaceId: "names" })))
    )
    const stored = server.namespaces.get("acct/names")
    expect(stored?.get("proxy:acme")).toBe('{"slug":"acme"}')
    expect(stored?.get("host:www.acme.com")).toBe('{"slug":"acme"}')
  })

  it("given 12,000 entries, then they go in bulk writes of at most 10,000", async () => {
    const before = server.requests.length
    const entries = Array.from({ length: 12_000 }, (_, i) => [`proxy:bulk-${i}`, `${i}`] as const)
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* (yield* Kv).setMany(entries)
      }).pipe(Effect.provide(layerFor({ namespaceId: "bulk" })))
    )
    expect(server.requests.slice(before).map((request) => request.method)).toEqual(["PUT", "PUT"])
    expect(server.namespaces.get("acct/bulk")?.size).toBe(12_000)
  })

  it("given a wrong token, then a KvError naming Cloudflare's refusal, never the token", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.gen(function* () {
        return yield* (yield* Kv).get("proxy:acme")
      }).pipe(Effect.provide(layerFor({ apiToken: "wrong-token-value" })))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const text = JSON.stringify(exit)
    expect(text).toContain("Authentication error")
    expect(text).not.toContain("wrong-token-value")
  })
})
