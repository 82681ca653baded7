import { Schema, SchemaTransformation } from "effect"
import { Hostname, normalizeHostname } from "../../../domain/shared/hostname.ts"
import {
  ApiAuthMode,
  CacheTarget,
  CacheTTL,
  ContentfulConfig,
  cmsFieldNames,
  cmsProviders,
  GenericConfig,
  PrismicConfig,
  SanityConfig,
  Slug,
  StoryblokConfig,
  WebflowConfig
} from "../../../domain/tenant/index.ts"

/** Request and response bodies, as clients see them. */

/** A hostname as people type it: DNS names ignore letter case, so `WWW.Acme.com` is kept as `www.acme.com`. */
const HostnameInput = Schema.String.pipe(
  Schema.decodeTo(
    Hostname,
    SchemaTransformation.transform({ decode: normalizeHostname, encode: (host) => host })
  )
)

const commonCreateFields = {
  slug: Slug,
  cacheTTL: Schema.optionalKey(CacheTTL),
  websiteDomain: Schema.optionalKey(Schema.NullOr(HostnameInput)),
  siteProxy: Schema.optionalKey(Schema.Boolean)
}

/** `slug`, `cms` and that provider's fields beside it, plus optional cache and site settings. */
export const CreateTenantBody = Schema.Union([
  Schema.Struct({ ...ContentfulConfig.fields, ...commonCreateFields }),
  Schema.Struct({ ...PrismicConfig.fields, ...commonCreateFields }),
  Schema.Struct({ ...StoryblokConfig.fields, ...commonCreateFields }),
  Schema.Struct({ ...WebflowConfig.fields, ...commonCreateFields }),
  Schema.Struct({ ...SanityConfig.fields, ...commonCreateFields }),
  Schema.Struct({ ...GenericConfig.fields, ...commonCreateFields })
])
export type CreateTenantBody = typeof CreateTenantBody.Type

const providerField = Schema.optionalKey(Schema.String)

/** Every provider's own fields, flat beside `cms` (checked per provider where they are used). */
const providerFields = Object.fromEntries(cmsFieldNames.map((name) => [name, providerField])) as Record<
  (typeof cmsFieldNames)[number],
  typeof providerField
>

/** Only the fields that change; provider fields merge into the current CMS configuration. */
export const UpdateTenantBody = Schema.Struct({
  slug: Schema.optionalKey(Schema.String),
  cms: Schema.optionalKey(Schema.Literals(cmsProviders)),
  ...providerFields,
  cacheTTL: Schema.optionalKey(CacheTTL),
  websiteDomain: Schema.optionalKey(Schema.NullOr(HostnameInput)),
  siteProxy: Schema.optionalKey(Schema.Boolean)
})

export const RefreshCacheBody = Schema.Struct({ type: CacheTarget })

export const ApiConfigBody = Schema.Struct({
  apiOrigin: Schema.String,
  apiAuthMode: ApiAuthMode,
  apiAuthHeaderName: Schema.optionalKey(Schema.String),
  apiAuthQueryParam: Schema.optionalKey(Schema.String),
  apiCacheTTL: Schema.optionalKey(CacheTTL),
  cacheEnabled: Schema.optionalKey(Schema.Boolean),
  previewEnabled: Schema.optionalKey(Schema.Boolean)
})

export const ApiTokenBody = Schema.Struct({
  token: Schema.String.pipe(
    Schema.check(
      Schema.isMinLength(1),
      Schema.isMaxLength(8192),
      // Blank is missing: the seed's "400 token missing".
      Schema.isPattern(/\S/, { message: "The token must not be blank" })
    )
  )
})

const CacheVersionsJson = Schema.Struct({
  apiCacheVersion: Schema.Int,
  assetCacheVersion: Schema.Int,
  htmlCacheVersion: Schema.Int
})

export const ApiConfigJson = Schema.Struct({
  apiOrigin: Schema.String,
  apiAuthMode: ApiAuthMode,
  apiAuthHeaderName: Schema.optionalKey(Schema.String),
  apiAuthQueryParam: Schema.optionalKey(Schema.String),
  apiCacheTTL: Schema.Int,
  cacheEnabled: Schema.Boolean,
  previewEnabled: Schema.Boolean
})

/** A tenant's configuration and state, never a secret. Provider fields sit beside `cms`. */
export const TenantValue = Schema.Struct({
  tenantId: Schema.String,
  slug: Schema.String,
  cms: Schema.Literals(cmsProviders),
  ...providerFields,
  cacheTTL: Schema.Int,
  websiteDomain: Schema.NullOr(Schema.String),
  siteProxy: Schema.Boolean,
  ...CacheVersionsJson.fields,
  proxyBase: Schema.String,
  publicOrigin: Schema.NullOr(Schema.String),
  apiConfig: Schema.NullOr(ApiConfigJson),
  hasApiToken: Schema.Boolean,
  apiTokenUpdatedAt: Schema.NullOr(Schema.String),
  createdAt: Schema.String,
  updatedAt: Schema.String
})

export const TenantResponse = Schema.Struct({ key: Schema.String, value: TenantValue })

export const TenantListItem = Schema.Struct({
  key: Schema.String,
  slug: Schema.String,
  role: Schema.Literals(["viewer", "editor", "admin", "owner"]),
  value: TenantValue
})

export const RefreshCacheResponse = Schema.Struct({ ok: Schema.Boolean, versions: CacheVersionsJson })

export const AuditEvent = Schema.Struct({
  id: Schema.Number,
  type: Schema.String,
  occurredAt: Schema.String,
  actor: Schema.Struct({ type: Schema.Literals(["user", "webhook", "system"]), id: Schema.String }),
  requestId: Schema.NullOr(Schema.String),
  summary: Schema.String,
  data: Schema.Record(Schema.String, Schema.Unknown)
})

export const EdgeConfigResponse = Schema.Struct({
  ok: Schema.Boolean,
  summary: Schema.NullOr(
    Schema.Struct({
      publicOrigin: Schema.NullOr(Schema.String),
      proxyBase: Schema.String,
      gate: Schema.Struct({ apiProxy: Schema.String, siteProxy: Schema.String }),
      cache: Schema.Struct({ ttl: Schema.Int, ...CacheVersionsJson.fields }),
      apiAuthMode: Schema.NullOr(Schema.String),
      hasApiToken: Schema.Boolean,
      customDomains: Schema.Array(Schema.String)
    })
  ),
  kv: Schema.Struct({ exists: Schema.Boolean, publicOrigin: Schema.NullOr(Schema.String) })
})
