import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { CacheTarget, CacheTTL, TenantConfigChanges } from "./events.ts"
import { Slug } from "./slug.ts"

/** Imperatives against one tenant. `at` is the decision's instant, supplied by the caller. */
export const CreateTenant = Schema.TaggedStruct("CreateTenant", {
  tenantId: TenantId,
  slug: Slug,
  cms: CmsConfig,
  cacheTTL: CacheTTL,
  websiteDomain: Schema.NullOr(Hostname),
  siteProxy: Schema.Boolean,
  ownerId: UserId,
  at: Instant
})

export const UpdateTenantConfig = Schema.TaggedStruct("UpdateTenantConfig", {
  changes: TenantConfigChanges,
  at: Instant
})

export const BumpCacheVersions = Schema.TaggedStruct("BumpCacheVersions", {
  target: CacheTarget,
  at: Instant
})

export const SaveApiConfig = Schema.TaggedStruct("SaveApiConfig", { apiConfig: ApiConfig, at: Instant })

export const SaveApiToken = Schema.TaggedStruct("SaveApiToken", { sealedToken: Schema.String, at: Instant })

export const DeleteTenant = Schema.TaggedStruct("DeleteTenant", { at: Instant })

export const TenantCommand = Schema.Union([
  CreateTenant,
  UpdateTenantConfig,
  BumpCacheVersions,
  SaveApiConfig,
  SaveApiToken,
  DeleteTenant
])
export type TenantCommand = typeof TenantCommand.Type
