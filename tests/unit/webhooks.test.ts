import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { sha256Hex } from "../../adapters/crypto/secrets.ts"
import { secretMatches } from "../../adapters/crypto/webhookSecrets.ts"
import { eventTypeOf } from "../../adapters/http/cacheRefreshReceiver.ts"
import { tokenBuckets } from "../../adapters/http/rateLimit.ts"
import { fold } from "../../domain/shared/decider.ts"
import { type TenantCommand, type TenantState, tenantDecider } from "../../domain/tenant/index.ts"
import { createTenantArb, instantAt, withInstant } from "../support/arbitraries.ts"

describe("Webhook secrets", () => {
  const secret = "whsec_9Qp3xv0c7bq5wG1nYV8Jd2kT4mR6sLhAeZfUoXiPyWc"
  const stored = sha256Hex(secret)

  it("given the stored digest, when the same secret is presented, then it matches", () => {
    expect(stored).toMatch(/^[0-9a-f]{64}$/)
    expect(secretMatches(secret, stored)).toBe(true)
  })

  it("given presented secrets of any length, when they are compared, then both sides are 64-hex digests and only the right one matches", () => {
    // Whatever is presented is hashed first: the constant-time comparison always sees two
    // 32-byte digests, so neither content nor length shows in its timing.
    for (const presented of [
      "",
      "x",
      secret.slice(0, -1),
      `${secret}x`,
      "y".repeat(10_000),
      secret.toUpperCase()
    ]) {
      expect(sha256Hex(presented)).toHaveLength(stored.length)
      expect(secretMatches(presented, stored)).toBe(false)
    }
  })

  it("given a malformed stored digest, when anything is compared to it, then it never matches and never throws", () => {
    for (const digest of ["", "abc", stored.slice(0, 62), `${stored}00`, "z".repeat(64)]) {
      expect(secretMatches(secret, digest)).toBe(false)
    }
  })
})

describe("Webhook event types", () => {
  it("given each provider's delivery, when the event type is read, then it comes from the header or body field that provider uses", () => {
    expect(
      eventTypeOf("contentful", { "x-contentful-topic": "ContentManagement.Entry.publish" }, undefined)
    ).toBe("ContentManagement.Entry.publish")
    expect(eventTypeOf("prismic", {}, { type: "api-update" })).toBe("api-update")
    expect(eventTypeOf("storyblok", {}, { action: "published", story_id: 1 })).toBe("published")
    expect(eventTypeOf("storyblok", {}, { event: "story.published" })).toBe("story.published")
    expect(eventTypeOf("generic", { "x-contentful-topic": "x" }, { type: "y" })).toBeNull()
    expect(eventTypeOf("prismic", {}, undefined)).toBeNull()
    expect(eventTypeOf("prismic", {}, { type: 42 })).toBeNull()
    expect(eventTypeOf("storyblok", {}, { action: "a".repeat(1000) })).toHaveLength(200)
  })
})

describe("Token buckets", () => {
  it("given a bucket of 3 refilled at 1/s, when 4 requests arrive at once, then the fourth waits 1 s; after a second one more passes", () => {
    const buckets = tokenBuckets({ burst: 3, perSecond: 1 })
    expect([0, 0, 0].map(() => buckets.take("k", 0))).toEqual([0, 0, 0])
    expect(buckets.take("k", 0)).toBe(1)
    expect(buckets.take("other", 0)).toBe(0)
    expect(buckets.take("k", 1000)).toBe(0)
    expect(buckets.take("k", 1000)).toBeGreaterThanOrEqual(1)
  })

  it("given a bounded map, when more keys than the bound arrive, then the oldest are dropped and memory stays bounded", () => {
    const buckets = tokenBuckets({ burst: 1, perSecond: 1 }, { maxKeys: 2 })
    expect(buckets.take("a", 0)).toBe(0)
    expect(buckets.take("b", 0)).toBe(0)
    expect(buckets.take("c", 0)).toBe(0)
    // "a" was forgotten, so it starts full again
    expect(buckets.take("a", 0)).toBe(0)
  })
})

describe("A cache-refresh delivery's bump in the decider", () => {
  const run = (state: TenantState, command: TenantCommand) => {
    const decided = tenantDecider.decide(command, state)
    return Result.isSuccess(decided)
      ? { state: fold(tenantDecider, decided.success, state), refusal: undefined }
      : { state, refusal: decided.failure._tag }
  }
  const webhookId = "whk_0123456789abcdef"
  const first = sha256Hex("whsec_first")
  const second = sha256Hex("whsec_second")
  const bumpWith = (secretHash: string, at: number): TenantCommand => ({
    _tag: "BumpCacheVersionsForWebhook",
    webhookId,
    secretHash,
    target: "api",
    at: instantAt(at)
  })

  it("given a webhook created, regenerated and deleted, when deliveries present the first, then the second secret, then each bumps only while its secret is the webhook's current one", () => {
    fc.assert(
      fc.property(createTenantArb(), (create) => {
        let state = run(tenantDecider.initialState, withInstant(create, instantAt(0))).state
        state = run(state, {
          _tag: "CreateCacheRefreshWebhook",
          webhookId,
          provider: "contentful",
          refreshApi: true,
          refreshAssets: false,
          secretHash: first,
          at: instantAt(1)
        }).state
        const api = (s: TenantState) => (s.status === "active" ? s.versions.apiCacheVersion : undefined)

        const opened = run(state, bumpWith(first, 2))
        expect(opened.refusal).toBeUndefined()
        expect(api(opened.state)).toBe(2)
        expect(run(state, bumpWith(second, 2)).refusal).toBe("WebhookNotFound")
        expect(run(state, { ...bumpWith(first, 2), webhookId: "whk_other" } as TenantCommand).refusal).toBe(
          "WebhookNotFound"
        )

        state = run(opened.state, {
          _tag: "RegenerateCacheRefreshWebhook",
          webhookId,
          secretHash: second,
          at: instantAt(3)
        }).state
        expect(run(state, bumpWith(first, 4)).refusal).toBe("WebhookNotFound")
        expect(api(run(state, bumpWith(second, 4)).state)).toBe(3)

        state = run(state, { _tag: "DeleteCacheRefreshWebhook", webhookId, at: instantAt(5) }).state
        expect(run(state, bumpWith(second, 6)).refusal).toBe("WebhookNotFound")
      }),
      { numRuns: 25 }
    )
  })
})
