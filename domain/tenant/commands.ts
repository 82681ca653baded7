import { Schema } from "effect"
import { Hostname } from "../shared/hostname.ts"
import { Instant, TenantId, UserId } from "../shared/ids.ts"
import { ApiConfig } from "./apiConfig.ts"
import { CmsConfig } from "./cms.ts"
import { CacheTTL, TenantConfigChanges } from "./events.ts"
import { Slug } from "./slug.ts"

/** Imperatives against one tenant's stream. `at` is the decision's instant, supplied by the caller. */
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

export const SaveApiConfig = Schema.TaggedStruct("SaveApiConfig", { apiConfig: ApiConfig, at: Instant })

export const SaveApiToken = Schema.TaggedStruct("SaveApiToken", { sealedToken: Schema.String, at: Instant })

export const DeleteTenant = Schema.TaggedStruct("DeleteTenant", { at: Instant })

/** Sets the site-publish secret unless one exists (idempotent). */
export const GenerateWebhookSecret = Schema.TaggedStruct("GenerateWebhookSecret", {
  sealedSecret: Schema.String,
  at: Instant
})

export const RotateWebhookSecret = Schema.TaggedStruct("RotateWebhookSecret", {
  sealedSecret: Schema.String,
  at: Instant
})

export const TenantCommand = Schema.Union([
  CreateTenant,
  UpdateTenantConfig,
  SaveApiConfig,
  SaveApiToken,
  DeleteTenant,
  GenerateWebhookSecret,
  RotateWebhookSecret
])
export type TenantCommand = typeof TenantCommand.Type
