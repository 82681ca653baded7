import { Schema } from "effect"
import { CacheTarget } from "../../../domain/cacheVersions/index.ts"
import { HostnameInput } from "../../../domain/shared/hostname.ts"
import {
  ApiAuthHeaderName,
  ApiAuthMode,
  ApiAuthQueryParam,
  authFieldsForMode,
  CacheTTL,
  ContentfulConfig,
  cmsFieldInputs,
  cmsFieldNames,
  cmsProviders,
  GenericConfigInput,
  HttpsOriginInput,
  PrismicConfig,
  SanityConfig,
  Slug,
  StoryblokConfig,
  WebflowConfig
} from "../../../domain/tenant/index.ts"
import { withExamples } from "./documented.ts"

/**
 * Request and response bodies, as clients see them. A request body's rules are its schema's
 * checks, and `/openapi.json` is derived from the same schemas (see "Validation and the OpenAPI
 * document" in docs/architecture.md); `examples` are tested to be valid and accepted.
 */

const commonCreateFields = {
  slug: Slug,
  cacheTTL: Schema.optionalKey(CacheTTL),
  websiteDomain: Schema.optionalKey(Schema.NullOr(HostnameInput)),
  siteProxy: Schema.optionalKey(Schema.Boolean)
}

/** `slug`, `cms` and that provider's fields beside it, plus optional cache and site settings. */
export const CreateTenantBody = withExamples(
  Schema.Union([
    Schema.Struct({ ...ContentfulConfig.fields, ...commonCreateFields }).annotate({ title: "Contentful" }),
    Schema.Struct({ ...PrismicConfig.fields, ...commonCreateFields }).annotate({ title: "Prismic" }),
    Schema.Struct({ ...StoryblokConfig.fields, ...commonCreateFields }).annotate({ title: "Storyblok" }),
    Schema.Struct({ ...WebflowConfig.fields, ...commonCreateFields }).annotate({ title: "Webflow" }),
    Schema.Struct({ ...SanityConfig.fields, ...commonCreateFields }).annotate({ title: "Sanity" }),
    Schema.Struct({ ...GenericConfigInput.fields, ...commonCreateFields }).annotate({ title: "Generic" })
  ]).annotate({ description: "`cms` names the provider; that provider's own fields sit beside it." }),
  [
    { slug: "acme", cms: "contentful", spaceId: "abc123" },
    { slug: "acme", cms: "generic", apiOrigin: "https://api.example.com" },
    {
      slug: "acme-blog",
      cms: "contentful",
      spaceId: "abc123",
      environment: "master",
      cacheTTL: 600,
      websiteDomain: "www.acme.com",
      siteProxy: true
    },
    { slug: "acme", cms: "prismic", repository: "acme-site" },
    { slug: "acme", cms: "storyblok", spaceId: "123456", region: "eu" },
    { slug: "acme", cms: "webflow", siteId: "64f1a2b3c4d5e6f7a8b9c0d1" },
    { slug: "acme", cms: "sanity", projectId: "a1b2c3d4", dataset: "production" }
  ]
)
export type CreateTenantBody = typeof CreateTenantBody.Type

/** Each provider field, optional, with the widest rule any provider gives it. */
const cmsFieldUpdates = Object.fromEntries(
  cmsFieldNames.map((name) => [name, Schema.optionalKey(cmsFieldInputs[name])])
) as { readonly [K in keyof typeof cmsFieldInputs]: Schema.optionalKey<(typeof cmsFieldInputs)[K]> }

/** Only the fields that change; provider fields merge into the current CMS configuration. */
export const UpdateTenantBody = withExamples(
  Schema.Struct({
    slug: Schema.optionalKey(
      Schema.String.annotate({
        description: "The tenant's current slug, if sent at all: a slug cannot change."
      })
    ),
    cms: Schema.optionalKey(Schema.Literals(cmsProviders)),
    ...cmsFieldUpdates,
    cacheTTL: Schema.optionalKey(CacheTTL),
    websiteDomain: Schema.optionalKey(Schema.NullOr(HostnameInput)),
    siteProxy: Schema.optionalKey(Schema.Boolean)
  }).annotate({
    description:
      "Provider fields merge into the current configuration, or start a new one when `cms` names another provider; the result must be complete and valid for its provider."
  }),
  [{ cacheTTL: 600, websiteDomain: "www.acme.com" }, { environment: "staging" }, { websiteDomain: null }]
)

export const RefreshCacheBody = withExamples(Schema.Struct({ type: CacheTarget }), [
  { type: "html" },
  { type: "all" }
])

/** Absent fields take their defaults: `apiCacheTTL` 60, `cacheEnabled` true, `previewEnabled` false. */
export const ApiConfigBody = withExamples(
  Schema.Struct({
    apiOrigin: HttpsOriginInput,
    apiAuthMode: ApiAuthMode,
    apiAuthHeaderName: Schema.optionalKey(ApiAuthHeaderName),
    apiAuthQueryParam: Schema.optionalKey(ApiAuthQueryParam),
    apiCacheTTL: Schema.optionalKey(CacheTTL),
    cacheEnabled: Schema.optionalKey(Schema.Boolean),
    previewEnabled: Schema.optionalKey(Schema.Boolean)
  }).annotate({
    description:
      "`header` needs `apiAuthHeaderName`, `query` needs `apiAuthQueryParam`. Absent: `apiCacheTTL` 60, `cacheEnabled` true, `previewEnabled` false."
  }),
  [
    { apiOrigin: "https://cdn.contentful.com", apiAuthMode: "bearer", apiCacheTTL: 120 },
    { apiOrigin: "https://api.example.com", apiAuthMode: "header", apiAuthHeaderName: "X-Api-Key" },
    { apiOrigin: "https://api.example.com/v2", apiAuthMode: "query", apiAuthQueryParam: "api_key" },
    { apiOrigin: "https://api.example.com", apiAuthMode: "none", cacheEnabled: false }
  ]
).pipe(Schema.check(...authFieldsForMode))

export const ApiTokenBody = withExamples(
  Schema.Struct({
    token: Schema.String.pipe(
      Schema.check(
        Schema.isMinLength(1),
        Schema.isMaxCodePoints(8192, { expected: "a value with a length of at most 8192" }),
        // Blank is missing: the seed's "400 token missing".
        Schema.isPattern(/\S/u, { message: "The token must not be blank" })
      ),
      Schema.annotate({ description: "Write-only; not blank, at most 8192 characters." })
    )
  }),
  [{ token: "cfpat-Rk2XzQ8vN1" }]
)

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

const providerField = Schema.optionalKey(Schema.String)

/** Every provider's own fields, flat beside `cms`, as the tenant's value shows them. */
const providerFields = Object.fromEntries(cmsFieldNames.map((name) => [name, providerField])) as Record<
  (typeof cmsFieldNames)[number],
  typeof providerField
>

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
  updatedAt: Schema.String,
  /** The domains summary (CONTRACT "Custom domains"). */
  domains: Schema.Array(
    Schema.Struct({
      hostname: Schema.String,
      status: Schema.Literals(["pending", "active", "misconfigured", "expired"])
    })
  )
})

export const TenantResponse = Schema.Struct({ key: Schema.String, value: TenantValue })

/** `GET /api/tenants/{slug}`: with `?asOf=`, the tenant as it was then, and `asOf` echoed. */
export const TenantAsOfResponse = Schema.Struct({
  key: Schema.String,
  value: TenantValue,
  asOf: Schema.optionalKey(
    Schema.Union([Schema.Number, Schema.String]).annotate({
      description: "The `asOf` asked for: an event id (a number) or the time as sent."
    })
  )
})

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
  data: Schema.Record(Schema.String, Schema.Unknown),
  stream: Schema.String.annotate({
    description: "The event's stream: each stream is a hash chain of its own."
  }),
  hash: Schema.String.annotate({
    description: "Hex SHA-256 of prevHash and the event's canonical bytes (docs/audit.md)."
  }),
  prevHash: Schema.String.annotate({
    description: "The hash of the previous event of the same stream; 64 zeros for a stream's first event."
  })
})

export const AuditHead = Schema.Struct({
  id: Schema.Number.annotate({ description: "The tenant's newest event id (0 when it has none)." }),
  count: Schema.Number.annotate({ description: "How many events the tenant's streams hold." }),
  streams: Schema.Array(Schema.Struct({ stream: Schema.String, version: Schema.Number, hash: Schema.String }))
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
