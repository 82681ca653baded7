import { describe, expect, it } from "vitest"
import {
  type CacheTarget,
  type CacheVersionsCommand,
  type CacheVersionsEvent,
  cacheVersionsDecider
} from "../../../domain/cacheVersions/index.ts"
import type { WebhookId } from "../../../domain/shared/ids.ts"
import { TenantNotFound } from "../../../domain/tenant/index.ts"
import { WebhookNotFound } from "../../../domain/webhook/index.ts"
import { given } from "../../support/decider.ts"

/** A tenant's cache versions (`cache-versions-{id}`): bumps only, each event carrying the versions in full. */

const at = "2026-12-01T10:00:00.000Z"
const webhookId = "whk_0123456789" as WebhookId
const secretHash = "a".repeat(64)
const otherSecretHash = "b".repeat(64)

const bump = (target: CacheTarget, tenantLive = true): CacheVersionsCommand => ({
  _tag: "BumpCacheVersions",
  target,
  tenantLive,
  at
})
const bumpForWebhook = (
  webhook: { readonly secretHash: string } | null,
  presentedSecretHash: string,
  tenantLive = true
): CacheVersionsCommand => ({
  _tag: "BumpCacheVersionsForWebhook",
  webhookId,
  target: "api",
  tenantLive,
  webhook,
  presentedSecretHash,
  at
})
const bumped = (target: CacheTarget, api: number, assets: number, html: number): CacheVersionsEvent => ({
  _tag: "CacheVersionsBumped",
  target,
  versions: { apiCacheVersion: api, assetCacheVersion: assets, htmlCacheVersion: html },
  at
})

describe("BumpCacheVersions", () => {
  it("given a tenant never bumped, when a target is bumped, then every cache starts at 1 and that one goes to 2", () => {
    expect(given(cacheVersionsDecider).state.versions).toEqual({
      apiCacheVersion: 1,
      assetCacheVersion: 1,
      htmlCacheVersion: 1
    })
    given(cacheVersionsDecider)
      .when(bump("api"))
      .then(bumped("api", 2, 1, 1))
    given(cacheVersionsDecider)
      .when(bump("assets"))
      .then(bumped("assets", 1, 2, 1))
    given(cacheVersionsDecider)
      .when(bump("html"))
      .then(bumped("html", 1, 1, 2))
  })

  it("given earlier bumps, when a target is bumped, then it goes up by exactly one and the others stay; all bumps all three", () => {
    const history = [bumped("api", 4, 2, 7)]
    given(cacheVersionsDecider, ...history)
      .when(bump("api"))
      .then(bumped("api", 5, 2, 7))
    given(cacheVersionsDecider, ...history)
      .when(bump("all"))
      .then(bumped("all", 5, 3, 8))
  })

  it("given any history, then the state is the versions of the last bump alone (the stream loads from its last event)", () => {
    expect(given(cacheVersionsDecider, bumped("api", 9, 9, 9), bumped("html", 3, 1, 4)).state).toEqual(
      given(cacheVersionsDecider, bumped("html", 3, 1, 4)).state
    )
  })

  it("given a tenant that is not live (deleted, or never created), when it is bumped, then it is refused: TenantNotFound", () => {
    given(cacheVersionsDecider, bumped("api", 2, 1, 1))
      .when(bump("api", false))
      .thenFails(TenantNotFound)
  })
})

describe("BumpCacheVersionsForWebhook", () => {
  it("given a live webhook, when a delivery presents its secret, then the target goes up by one", () => {
    given(cacheVersionsDecider)
      .when(bumpForWebhook({ secretHash }, secretHash))
      .then(bumped("api", 2, 1, 1))
  })

  it("given a webhook, when a delivery presents another secret (an old one, say), then it is refused: WebhookNotFound", () => {
    given(cacheVersionsDecider)
      .when(bumpForWebhook({ secretHash }, otherSecretHash))
      .thenFails(WebhookNotFound, { webhookId })
  })

  it("given no such webhook (unknown, deleted, or another tenant's), when a delivery comes, then it is refused: WebhookNotFound", () => {
    given(cacheVersionsDecider)
      .when(bumpForWebhook(null, secretHash))
      .thenFails(WebhookNotFound, { webhookId })
    // Even a presented digest equal to the one compared against for a missing webhook.
    given(cacheVersionsDecider).when(bumpForWebhook(null, "")).thenFails(WebhookNotFound)
  })

  it("given a webhook of a tenant that is not live, when a delivery presents its secret, then it is refused the same way: WebhookNotFound", () => {
    given(cacheVersionsDecider)
      .when(bumpForWebhook({ secretHash }, secretHash, false))
      .thenFails(WebhookNotFound)
  })
})
