import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId } from "../shared/ids.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { CacheTTL, CacheVersions, type TenantEvent, WebhookProvider } from "./events.ts"
import { evolveMembership, initialMembership, MembershipFields } from "./membership.ts"
import { Slug } from "./slug.ts"

/** A cache-refresh webhook as the decider knows it. */
export const CacheRefreshWebhookState = Schema.Struct({
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  createdAt: Instant,
  updatedAt: Instant
})

export const ActiveTenant = Schema.Struct({
  status: Schema.Literal("active"),
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  versions: CacheVersions,
  apiConfig: Schema.NullOr(ApiConfig),
  apiToken: Schema.NullOr(Schema.Struct({ sealedToken: Schema.String, updatedAt: Instant })),
  ...MembershipFields,
  /** The sealed site-publish secret; absent until generated (older snapshots lack it too). */
  webhookSecret: Schema.optionalKey(Schema.String),
  /** Live cache-refresh webhooks by id; absent means none. */
  cacheRefreshWebhooks: Schema.optionalKey(Schema.Record(Schema.String, CacheRefreshWebhookState)),
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
export const tenantStateVersion = 2

export const initialState: TenantState = { status: "absent" }

const initialVersions: CacheVersions = { apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 1 }

/** Total: an event that cannot apply to the state leaves it as it is. */
export const evolve = (state: TenantState, event: TenantEvent): TenantState => {
  if (event._tag === "TenantCreated") {
    return {
      status: "active",
      tenantId: event.tenantId,
      slug: event.slug,
      cms: event.cms,
      cacheTTL: event.cacheTTL,
      websiteDomain: event.websiteDomain,
      siteProxy: event.siteProxy,
      versions: initialVersions,
      apiConfig: null,
      apiToken: null,
      ...initialMembership(event.ownerId),
      createdAt: event.at,
      updatedAt: event.at
    }
  }
  if (state.status !== "active") return state
  switch (event._tag) {
    case "TenantConfigUpdated":
      return { ...state, ...event.changes, updatedAt: event.at }
    case "CacheVersionsBumped":
      return { ...state, versions: event.versions, updatedAt: event.at }
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
    case "MemberInvited":
    case "InviteRefreshed":
    case "InviteRevoked":
    case "InviteAccepted":
    case "MemberRoleChanged":
    case "MemberRemoved":
      return evolveMembership(state, event)
    case "WebhookSecretGenerated":
    case "WebhookSecretRotated":
      return { ...state, webhookSecret: event.sealedSecret }
    case "CacheRefreshWebhookCreated": {
      const { _tag, webhookId, at, ...fields } = event
      return {
        ...state,
        cacheRefreshWebhooks: {
          ...state.cacheRefreshWebhooks,
          [webhookId]: { ...fields, createdAt: at, updatedAt: at }
        }
      }
    }
    case "CacheRefreshWebhookRegenerated": {
      const existing = state.cacheRefreshWebhooks?.[event.webhookId]
      if (existing === undefined) return state
      return {
        ...state,
        cacheRefreshWebhooks: {
          ...state.cacheRefreshWebhooks,
          [event.webhookId]: { ...existing, secretHash: event.secretHash, updatedAt: event.at }
        }
      }
    }
    case "CacheRefreshWebhookDeleted": {
      const { [event.webhookId]: _removed, ...rest } = state.cacheRefreshWebhooks ?? {}
      return { ...state, cacheRefreshWebhooks: rest }
    }
  }
}
