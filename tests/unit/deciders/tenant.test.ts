import { describe, expect, it } from "vitest"
import type { TenantId, UserId } from "../../../domain/shared/ids.ts"
import {
  type Slug,
  TenantAlreadyExists,
  type TenantCommand,
  type TenantEvent,
  TenantNotFound,
  tenantDecider
} from "../../../domain/tenant/index.ts"
import { given } from "../../support/decider.ts"

/** The tenant's stream (`tenant-{id}`): its life, configuration, API settings and site-publish secret. */

const tenantId = "tnt_acme000001" as TenantId
const slug = "acme" as Slug
const creator = "user_creator" as UserId
const t0 = "2026-12-01T10:00:00.000Z"
const t1 = "2026-12-01T11:00:00.000Z"
const t2 = "2026-12-01T12:00:00.000Z"

const fields = {
  tenantId,
  slug,
  cms: { cms: "contentful", spaceId: "space1" },
  cacheTTL: 300,
  websiteDomain: "www.acme.com",
  siteProxy: false,
  ownerId: creator
} as const
const create: TenantCommand = { _tag: "CreateTenant", ...fields, at: t0 }
const created: TenantEvent = { _tag: "TenantCreated", ...fields, at: t0 }
const deleted: TenantEvent = { _tag: "TenantDeleted", slug, at: t1 }
const secretGenerated: TenantEvent = { _tag: "WebhookSecretGenerated", sealedSecret: "sealed:one", at: t1 }

const update = (
  changes: Extract<TenantCommand, { _tag: "UpdateTenantConfig" }>["changes"]
): TenantCommand => ({
  _tag: "UpdateTenantConfig",
  changes,
  at: t2
})
const apiConfig = {
  apiOrigin: "https://api.acme.com",
  apiAuthMode: "bearer",
  apiCacheTTL: 60,
  cacheEnabled: true,
  previewEnabled: false
} as const

/** One of every command but create, each of which needs a live tenant. */
const onLiveTenant: ReadonlyArray<TenantCommand> = [
  update({ cacheTTL: 60 }),
  { _tag: "SaveApiConfig", apiConfig, at: t2 },
  { _tag: "SaveApiToken", sealedToken: "sealed:token", at: t2 },
  { _tag: "DeleteTenant", at: t2 },
  { _tag: "GenerateWebhookSecret", sealedSecret: "sealed:secret", at: t2 },
  { _tag: "RotateWebhookSecret", sealedSecret: "sealed:secret", at: t2 }
]

describe("CreateTenant", () => {
  it("given no tenant, when it is created, then TenantCreated records every field, and its creator is its first owner", () => {
    const state = given(tenantDecider).when(create).then(created)
    expect(state).toMatchObject({
      status: "active",
      slug,
      creatorId: creator,
      webhookSecret: null,
      apiToken: null
    })
  })

  it("given a live tenant, when it is created again, then it is refused: TenantAlreadyExists", () => {
    given(tenantDecider, created).when(create).thenFails(TenantAlreadyExists)
  })

  it("given a deleted tenant, when its id is created again, then it is refused: an id is never reused", () => {
    given(tenantDecider, created, deleted).when(create).thenFails(TenantAlreadyExists)
  })
})

describe("UpdateTenantConfig", () => {
  it("given a live tenant, when some fields change, then only the ones that really change are recorded", () => {
    given(tenantDecider, created)
      .when(update({ cacheTTL: 60, siteProxy: false, websiteDomain: "www.acme.com", cms: fields.cms }))
      .then({ _tag: "TenantConfigUpdated", changes: { cacheTTL: 60 }, at: t2 })
  })

  it("given a live tenant, when nothing changes (the same configuration, its keys in another order), then nothing is recorded", () => {
    given(tenantDecider, created).when(update({})).thenNothing()
    given(tenantDecider, created)
      .when(update({ cms: { spaceId: "space1", cms: "contentful" }, cacheTTL: 300 }))
      .thenNothing()
  })

  it("given a live tenant, when the website domain is cleared, then null is a change like any other", () => {
    given(tenantDecider, created)
      .when(update({ websiteDomain: null }))
      .then({ _tag: "TenantConfigUpdated", changes: { websiteDomain: null }, at: t2 })
  })
})

describe("API settings and the site-publish secret", () => {
  it("given a live tenant, when its API config or token is saved, then it is recorded", () => {
    given(tenantDecider, created)
      .when({ _tag: "SaveApiConfig", apiConfig, at: t2 })
      .then({ _tag: "ApiConfigSaved", apiConfig, at: t2 })
    given(tenantDecider, created)
      .when({ _tag: "SaveApiToken", sealedToken: "sealed:token", at: t2 })
      .then({ _tag: "ApiTokenSaved", sealedToken: "sealed:token", at: t2 })
  })

  it("given no secret yet, when one is generated, then it is recorded; given one, generating again keeps it (idempotent)", () => {
    const state = given(tenantDecider, created)
      .when({ _tag: "GenerateWebhookSecret", sealedSecret: "sealed:one", at: t1 })
      .then(secretGenerated)
    expect(state).toMatchObject({ webhookSecret: "sealed:one" })
    given(tenantDecider, created, secretGenerated)
      .when({ _tag: "GenerateWebhookSecret", sealedSecret: "sealed:two", at: t2 })
      .thenNothing()
  })

  it("given a secret, when it is rotated, then the new one replaces it", () => {
    const state = given(tenantDecider, created, secretGenerated)
      .when({ _tag: "RotateWebhookSecret", sealedSecret: "sealed:two", at: t2 })
      .then({ _tag: "WebhookSecretRotated", sealedSecret: "sealed:two", at: t2 })
    expect(state).toMatchObject({ webhookSecret: "sealed:two" })
  })
})

describe("DeleteTenant", () => {
  it("given a live tenant, when it is deleted, then TenantDeleted names the slug it frees", () => {
    const state = given(tenantDecider, created).when({ _tag: "DeleteTenant", at: t1 }).then(deleted)
    expect(state).toEqual({ status: "deleted", tenantId, slug, deletedAt: t1 })
  })

  it("given a deleted tenant, when any command but create arrives, then it is refused: TenantNotFound", () => {
    for (const command of onLiveTenant)
      given(tenantDecider, created, deleted).when(command).thenFails(TenantNotFound)
  })

  it("given no tenant, when any command but create arrives, then it is refused: TenantNotFound", () => {
    for (const command of onLiveTenant) given(tenantDecider).when(command).thenFails(TenantNotFound)
  })
})
