import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { sha256Hex } from "../../adapters/crypto/secrets.ts"
import { secretMatches } from "../../adapters/crypto/webhookSecrets.ts"
import { eventTypeOf } from "../../adapters/http/handlers/webhookReceivers.ts"
import { tokenBuckets } from "../../adapters/http/rateLimit.ts"
import {
  type CacheTarget,
  type CacheVersionsCommand,
  type CacheVersionsState,
  cacheVersionsDecider
} from "../../domain/cacheVersions/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { TenantId, WebhookId } from "../../domain/shared/ids.ts"
import { type WebhookCommand, type WebhookState, webhookDecider } from "../../domain/webhook/index.ts"
import { cacheTargetArb, instantAt, tenantIdArb } from "../support/arbitraries.ts"

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

describe("A cache-refresh delivery's bump in the deciders", () => {
  const webhookId = "whk_0123456789abcdef" as WebhookId
  const first = sha256Hex("whsec_first")
  const second = sha256Hex("whsec_second")

  /** The webhook's own stream, one command at a time; a refusal leaves it as it was. */
  const onWebhook = (state: WebhookState, command: WebhookCommand) => {
    const decided = webhookDecider.decide(command, state)
    return Result.isSuccess(decided) ? fold(webhookDecider, decided.success, state) : state
  }
  /**
   * A delivery presenting the secret whose digest is `presented`: the bump command made as the receiver makes it, with
   * the webhook as its own stream has it (null unless live and this tenant's).
   */
  const deliver = (
    versions: CacheVersionsState,
    webhook: WebhookState,
    tenantId: TenantId,
    presented: string,
    target: CacheTarget,
    at: number,
    id: WebhookId = webhookId
  ) => {
    const command: CacheVersionsCommand = {
      _tag: "BumpCacheVersionsForWebhook",
      webhookId: id,
      target,
      tenantLive: true,
      webhook:
        webhook.status === "active" && webhook.tenantId === tenantId && id === webhook.webhookId
          ? { secretHash: webhook.secretHash }
          : null,
      presentedSecretHash: presented,
      at: instantAt(at)
    }
    const decided = cacheVersionsDecider.decide(command, versions)
    return Result.isSuccess(decided)
      ? { state: fold(cacheVersionsDecider, decided.success, versions), refusal: undefined }
      : { state: versions, refusal: decided.failure._tag }
  }

  it("given a webhook created, regenerated and deleted, when deliveries present the first, then the second secret, then each bumps only while its secret is the webhook's current one", () => {
    fc.assert(
      fc.property(tenantIdArb, cacheTargetArb, (tenantId, target) => {
        let webhook = onWebhook(webhookDecider.initialState, {
          _tag: "CreateCacheRefreshWebhook",
          tenantId,
          tenantLive: true,
          webhookId,
          provider: "contentful",
          refreshApi: true,
          refreshAssets: false,
          secretHash: first,
          at: instantAt(1)
        })
        const versions = cacheVersionsDecider.initialState
        const bumpedTo = (outcome: { state: CacheVersionsState }) => outcome.state.versions

        const opened = deliver(versions, webhook, tenantId, first, target, 2)
        expect(opened.refusal).toBeUndefined()
        expect(bumpedTo(opened)).not.toEqual(versions.versions)
        expect(deliver(versions, webhook, tenantId, second, target, 2).refusal).toBe("WebhookNotFound")
        expect(
          deliver(versions, webhook, tenantId, first, target, 2, "whk_other0000" as WebhookId).refusal
        ).toBe("WebhookNotFound")
        expect(deliver(versions, webhook, "tnt_othertenant00" as TenantId, first, target, 2).refusal).toBe(
          "WebhookNotFound"
        )

        webhook = onWebhook(webhook, {
          _tag: "RegenerateCacheRefreshWebhook",
          tenantId,
          webhookId,
          secretHash: second,
          at: instantAt(3)
        })
        expect(deliver(opened.state, webhook, tenantId, first, target, 4).refusal).toBe("WebhookNotFound")
        const again = deliver(opened.state, webhook, tenantId, second, target, 4)
        expect(again.refusal).toBeUndefined()
        for (const key of Object.keys(again.state.versions) as Array<keyof CacheVersionsState["versions"]>) {
          expect(again.state.versions[key] - opened.state.versions[key]).toBe(
            opened.state.versions[key] - versions.versions[key]
          )
        }

        webhook = onWebhook(webhook, {
          _tag: "DeleteCacheRefreshWebhook",
          tenantId,
          webhookId,
          at: instantAt(5)
        })
        expect(webhook.status).toBe("deleted")
        expect(deliver(again.state, webhook, tenantId, second, target, 6).refusal).toBe("WebhookNotFound")
      }),
      { numRuns: 25 }
    )
  })
})
