import { describe, expect, it } from "vitest"
import { type CacheVersionsCommand, cacheVersionsDecider } from "../../../domain/cacheVersions/index.ts"
import { TenantNotFound } from "../../../domain/tenant/index.ts"
import { WebhookNotFound } from "../../../domain/webhook/index.ts"
import { given } from "../../support/decider.ts"

/** The given/when/then helper itself: each `then…` fails when the decision is not what it says. */

const at = "2026-12-01T10:00:00.000Z"
const bump: CacheVersionsCommand = { _tag: "BumpCacheVersions", target: "api", tenantLive: true, at }
const refused: CacheVersionsCommand = { ...bump, tenantLive: false }
const bumpedTo = (api: number) =>
  ({
    _tag: "CacheVersionsBumped",
    target: "api",
    versions: { apiCacheVersion: api, assetCacheVersion: 1, htmlCacheVersion: 1 },
    at
  }) as const

describe("given/when/then", () => {
  it("given an accepted command, then `then` checks the events exactly and returns the state they lead to", () => {
    expect(given(cacheVersionsDecider).when(bump).then(bumpedTo(2)).versions.apiCacheVersion).toBe(2)
    expect(() => given(cacheVersionsDecider).when(bump).then(bumpedTo(3))).toThrow()
    expect(() => given(cacheVersionsDecider).when(bump).thenNothing()).toThrow()
    expect(() => given(cacheVersionsDecider).when(bump).thenFails(TenantNotFound)).toThrow(
      /to fail with TenantNotFound, but it was accepted/
    )
  })

  it("given a refused command, then `thenFails` checks the tag or class and the fields, and `then` fails", () => {
    given(cacheVersionsDecider).when(refused).thenFails(TenantNotFound)
    given(cacheVersionsDecider).when(refused).thenFails("TenantNotFound", { code: "tenant_not_found" })
    expect(() => given(cacheVersionsDecider).when(refused).thenFails(WebhookNotFound)).toThrow()
    expect(() => given(cacheVersionsDecider).when(refused).thenFails("WebhookNotFound")).toThrow()
    expect(() =>
      given(cacheVersionsDecider).when(refused).thenFails(TenantNotFound, { code: "other" })
    ).toThrow()
    expect(() => given(cacheVersionsDecider).when(refused).then()).toThrow(
      /to be accepted, but it was refused/
    )
  })
})
