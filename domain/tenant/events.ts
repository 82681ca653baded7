import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { Slug } from "./slug.ts"
import { upcasters } from "./upcasters.ts"

/**
 * Facts about a tenant's life and configuration, past tense, stored as plain JSON under
 * their tag in the stream `tenant-{id}`. Each carries `at`, the instant the command was
 * decided. Changing a stored shape means bumping its version in `schemaVersions` and
 * adding an upcaster (see upcasters.ts).
 */
export const CacheTTL = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 31_536_000 })))

/** `ownerId` is the creator: the tenant's first owner (see domain/membership). */
export const TenantCreated = Schema.TaggedStruct("TenantCreated", {
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  ownerId: UserId,
  at: Instant
})

export const TenantConfigChanges = Schema.Struct({
  cms: Schema.optionalKey(CmsConfig),
  cacheTTL: Schema.optionalKey(CacheTTL),
  websiteDomain: Schema.optionalKey(Schema.NullOr(Hostname)),
  siteProxy: Schema.optionalKey(Schema.Boolean)
})
export type TenantConfigChanges = typeof TenantConfigChanges.Type

export const TenantConfigUpdated = Schema.TaggedStruct("TenantConfigUpdated", {
  changes: TenantConfigChanges,
  at: Instant
})

export const ApiConfigSaved = Schema.TaggedStruct("ApiConfigSaved", { apiConfig: ApiConfig, at: Instant })

/** The token sealed under the tenant's own data key; deleting the tenant shreds that key. */
export const ApiTokenSaved = Schema.TaggedStruct("ApiTokenSaved", { sealedToken: Schema.String, at: Instant })

export const TenantDeleted = Schema.TaggedStruct("TenantDeleted", { slug: Slug, at: Instant })

/**
 * The site-publish webhook secret (e.g. Webflow), sealed under the tenant's data key so
 * it can be shown again; deleting the tenant shreds it.
 */
export const WebhookSecretGenerated = Schema.TaggedStruct("WebhookSecretGenerated", {
  sealedSecret: Schema.String,
  at: Instant
})

/** A new site-publish secret; the previous one stops working at once. */
export const WebhookSecretRotated = Schema.TaggedStruct("WebhookSecretRotated", {
  sealedSecret: Schema.String,
  at: Instant
})

export const TenantEvent = Schema.Union([
  TenantCreated,
  TenantConfigUpdated,
  ApiConfigSaved,
  ApiTokenSaved,
  TenantDeleted,
  WebhookSecretGenerated,
  WebhookSecretRotated
])
export type TenantEvent = typeof TenantEvent.Type
export type TenantEventType = TenantEvent["_tag"]

export const tenantEvents: EventCatalog<TenantEvent> = {
  schema: TenantEvent,
  schemaVersions: {
    TenantCreated: 2,
    TenantConfigUpdated: 1,
    ApiConfigSaved: 1,
    ApiTokenSaved: 1,
    TenantDeleted: 1,
    WebhookSecretGenerated: 1,
    WebhookSecretRotated: 1
  },
  upcasters,
  sealedFields: {
    ApiTokenSaved: ["sealedToken"],
    WebhookSecretGenerated: ["sealedSecret"],
    WebhookSecretRotated: ["sealedSecret"]
  }
}
