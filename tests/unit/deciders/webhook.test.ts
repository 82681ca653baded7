import { describe, expect, it } from "vitest"
import type { TenantId, WebhookId } from "../../../domain/shared/ids.ts"
import { TenantNotFound } from "../../../domain/tenant/index.ts"
import {
  WebhookAlreadyExists,
  type WebhookCommand,
  type WebhookEvent,
  WebhookNotFound,
  webhookDecider
} from "../../../domain/webhook/index.ts"
import { given } from "../../support/decider.ts"

/** One cache-refresh webhook (`webhook-{webhookId}`): created, its secret regenerated, deleted. */

const tenantId = "tnt_acme000001" as TenantId
const otherTenantId = "tnt_other00001" as TenantId
const webhookId = "whk_0123456789" as WebhookId
const t0 = "2026-12-01T10:00:00.000Z"
const t1 = "2026-12-01T11:00:00.000Z"
const first = "a".repeat(64)
const second = "b".repeat(64)

const webhook = { webhookId, provider: "contentful", refreshApi: true, refreshAssets: false } as const
const create = (tenantLive = true): WebhookCommand => ({
  _tag: "CreateCacheRefreshWebhook",
  tenantId,
  tenantLive,
  ...webhook,
  secretHash: first,
  at: t0
})
const created: WebhookEvent = {
  _tag: "CacheRefreshWebhookCreated",
  tenantId,
  ...webhook,
  secretHash: first,
  at: t0
}
const regenerate = (asTenant: TenantId = tenantId): WebhookCommand => ({
  _tag: "RegenerateCacheRefreshWebhook",
  tenantId: asTenant,
  webhookId,
  secretHash: second,
  at: t1
})
const remove = (asTenant: TenantId = tenantId): WebhookCommand => ({
  _tag: "DeleteCacheRefreshWebhook",
  tenantId: asTenant,
  webhookId,
  at: t1
})
const deleted: WebhookEvent = { _tag: "CacheRefreshWebhookDeleted", tenantId, webhookId, at: t1 }

describe("CreateCacheRefreshWebhook", () => {
  it("given no webhook, when a live tenant creates one, then it is created with the hash of its secret", () => {
    const state = given(webhookDecider).when(create()).then(created)
    expect(state).toMatchObject({ status: "active", tenantId, secretHash: first, createdAt: t0 })
  })

  it("given a deleted tenant, when it creates a webhook, then it is refused: TenantNotFound", () => {
    given(webhookDecider).when(create(false)).thenFails(TenantNotFound)
  })

  it("given a webhook with that id, live or deleted, when it is created again, then it is refused: WebhookAlreadyExists", () => {
    given(webhookDecider, created).when(create()).thenFails(WebhookAlreadyExists)
    given(webhookDecider, created, deleted).when(create()).thenFails(WebhookAlreadyExists)
  })
})

describe("RegenerateCacheRefreshWebhook", () => {
  it("given the tenant's webhook, when its secret is regenerated, then the new hash replaces the old one", () => {
    const state = given(webhookDecider, created)
      .when(regenerate())
      .then({ _tag: "CacheRefreshWebhookRegenerated", tenantId, webhookId, secretHash: second, at: t1 })
    expect(state).toMatchObject({ status: "active", secretHash: second, updatedAt: t1 })
  })

  it("given another tenant's webhook, when this tenant regenerates it, then it is not found", () => {
    given(webhookDecider, created).when(regenerate(otherTenantId)).thenFails(WebhookNotFound, { webhookId })
  })

  it("given no webhook, or a deleted one, when it is regenerated, then it is not found", () => {
    given(webhookDecider).when(regenerate()).thenFails(WebhookNotFound, { webhookId })
    given(webhookDecider, created, deleted).when(regenerate()).thenFails(WebhookNotFound, { webhookId })
  })
})

describe("DeleteCacheRefreshWebhook", () => {
  it("given the tenant's webhook, when it is deleted, then it is gone for good", () => {
    const state = given(webhookDecider, created).when(remove()).then(deleted)
    expect(state).toEqual({ status: "deleted", tenantId, webhookId })
  })

  it("given another tenant's webhook, when this tenant deletes it, then it is not found and stays", () => {
    given(webhookDecider, created).when(remove(otherTenantId)).thenFails(WebhookNotFound, { webhookId })
  })

  it("given no webhook, or a deleted one, when it is deleted, then it is not found", () => {
    given(webhookDecider).when(remove()).thenFails(WebhookNotFound)
    given(webhookDecider, created, deleted).when(remove()).thenFails(WebhookNotFound)
  })
})
