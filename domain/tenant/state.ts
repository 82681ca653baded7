import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { CacheTTL, type TenantEvent } from "./events.ts"
import { Slug } from "./slug.ts"

export const ActiveTenant = Schema.Struct({
  status: Schema.Literal("active"),
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  apiConfig: Schema.NullOr(ApiConfig),
  apiToken: Schema.NullOr(Schema.Struct({ sealedToken: Schema.String, updatedAt: Instant })),
  /** The sealed site-publish secret, once generated. */
  webhookSecret: Schema.NullOr(Schema.String),
  /** Who created the tenant: its first owner (membership counts them as one until it says otherwise). */
  creatorId: UserId,
  createdAt: Instant,
  updatedAt: Instant
})
export type ActiveTenant = typeof ActiveTenant.Type

/** A tenant's whole life: not yet created, live, or deleted for good. */
export const TenantState = Schema.Union([
  Schema.Struct({ status: Schema.Literal("absent") }),
  ActiveTenant,
  Schema.Struct({ status: Schema.Literal("deleted"), tenantId: TenantId, slug: Slug, deletedAt: Instant })
])
export type TenantState = typeof TenantState.Type

/** Bumped whenever TenantState's shape changes, so older snapshots are ignored, not misread. */
export const tenantStateVersion = 3

export const initialState: TenantState = { status: "absent" }

/** Total: an event that cannot apply to the state leaves it as it is. */
export const evolve = (state: TenantState, event: TenantEvent): TenantState => {
  if (event._tag === "TenantCreated") {
    if (state.status !== "absent") return state
    return {
      status: "active",
      tenantId: event.tenantId,
      slug: event.slug,
      cms: event.cms,
      cacheTTL: event.cacheTTL,
      websiteDomain: event.websiteDomain,
      siteProxy: event.siteProxy,
      apiConfig: null,
      apiToken: null,
      webhookSecret: null,
      creatorId: event.ownerId,
      createdAt: event.at,
      updatedAt: event.at
    }
  }
  if (state.status !== "active") return state
  switch (event._tag) {
    case "TenantConfigUpdated":
      return { ...state, ...event.changes, updatedAt: event.at }
    case "ApiConfigSaved":
      return { ...state, apiConfig: event.apiConfig, updatedAt: event.at }
    case "ApiTokenSaved":
      return {
        ...state,
        apiToken: { sealedToken: event.sealedToken, updatedAt: event.at },
        updatedAt: event.at
      }
    case "TenantDeleted":
      return { status: "deleted", tenantId: state.tenantId, slug: state.slug, deletedAt: event.at }
    // The secret is not configuration the tenant's `updatedAt` reports.
    case "WebhookSecretGenerated":
    case "WebhookSecretRotated":
      return { ...state, webhookSecret: event.sealedSecret }
  }
}
