import fc from "fast-check"
import type { TenantId } from "../../../domain/shared/ids.ts"
import type {
  ApiConfig,
  CmsConfig,
  Slug,
  TenantCommand,
  TenantConfigChanges,
  TenantEvent
} from "../../../domain/tenant/index.ts"
import {
  hostnameArb,
  httpsOriginArb,
  instantAt,
  opaqueArb,
  stepMillisArb,
  tenantIdArb,
  timed,
  type Untimed,
  userIdArb,
  validSlugArb,
  withInstant,
  word
} from "./shared.ts"

/** Commands and events of the tenant aggregate (stream `tenant-{id}`). */

type Command<Tag extends TenantCommand["_tag"]> = Extract<TenantCommand, { _tag: Tag }>

const token = (max: number) =>
  word("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", 1, max)

export const cmsConfigArb: fc.Arbitrary<CmsConfig> = fc.oneof(
  fc.record(
    { cms: fc.constant("contentful" as const), spaceId: token(64), environment: token(64) },
    { requiredKeys: ["cms", "spaceId"] }
  ),
  fc.record({ cms: fc.constant("prismic" as const), repository: token(63) }),
  fc.record(
    {
      cms: fc.constant("storyblok" as const),
      spaceId: token(32),
      region: fc.constantFrom("eu" as const, "us" as const, "ap" as const, "ca" as const, "cn" as const)
    },
    { requiredKeys: ["cms"] }
  ),
  fc.record({ cms: fc.constant("webflow" as const), siteId: token(64) }, { requiredKeys: ["cms"] }),
  fc.record(
    { cms: fc.constant("sanity" as const), projectId: token(64), dataset: token(64) },
    { requiredKeys: ["cms", "projectId"] }
  ),
  fc.record({ cms: fc.constant("generic" as const), apiOrigin: httpsOriginArb })
)

export const cacheTTLArb = fc.oneof(
  fc.constantFrom(0, 60, 300, 3600),
  fc.integer({ min: 0, max: 31_536_000 })
)

export const apiConfigArb: fc.Arbitrary<ApiConfig> = fc
  .record({
    apiOrigin: httpsOriginArb,
    apiAuthMode: fc.constantFrom("none" as const, "bearer" as const, "header" as const, "query" as const),
    apiAuthHeaderName: fc.option(word("ABCXYZabcxyz019-", 1, 64), { nil: undefined }),
    apiAuthQueryParam: fc.option(word("abcxyzABC019._-", 1, 64), { nil: undefined }),
    apiCacheTTL: cacheTTLArb,
    cacheEnabled: fc.boolean(),
    previewEnabled: fc.boolean()
  })
  .map(({ apiAuthHeaderName, apiAuthQueryParam, ...rest }): ApiConfig => {
    const header = apiAuthHeaderName ?? (rest.apiAuthMode === "header" ? "X-Api-Key" : undefined)
    const query = apiAuthQueryParam ?? (rest.apiAuthMode === "query" ? "api_key" : undefined)
    return {
      ...rest,
      ...(header === undefined ? {} : { apiAuthHeaderName: header }),
      ...(query === undefined ? {} : { apiAuthQueryParam: query })
    }
  })

/** A partial configuration change, possibly empty. */
export const configChangesArb: fc.Arbitrary<TenantConfigChanges> = fc.record(
  {
    cms: cmsConfigArb,
    cacheTTL: cacheTTLArb,
    websiteDomain: fc.option(hostnameArb, { nil: null }),
    siteProxy: fc.boolean()
  },
  { requiredKeys: [] }
)

/** A sealed API token or site-publish secret: opaque to the decider. */
export const sealedTokenArb: fc.Arbitrary<string> = opaqueArb

// Commands ------------------------------------------------------------------------------

export const createTenantArb = (
  tenantId: fc.Arbitrary<TenantId> = tenantIdArb,
  slug: fc.Arbitrary<Slug> = validSlugArb
): fc.Arbitrary<Untimed<Command<"CreateTenant">>> =>
  fc.record({
    _tag: fc.constant("CreateTenant" as const),
    tenantId,
    slug,
    cms: cmsConfigArb,
    cacheTTL: cacheTTLArb,
    websiteDomain: fc.option(hostnameArb, { nil: null }),
    siteProxy: fc.boolean(),
    ownerId: userIdArb
  })

export const updateTenantConfigArb: fc.Arbitrary<Untimed<Command<"UpdateTenantConfig">>> = fc.record({
  _tag: fc.constant("UpdateTenantConfig" as const),
  changes: configChangesArb
})

export const saveApiConfigArb: fc.Arbitrary<Untimed<Command<"SaveApiConfig">>> = fc.record({
  _tag: fc.constant("SaveApiConfig" as const),
  apiConfig: apiConfigArb
})

export const saveApiTokenArb = (
  sealedToken: fc.Arbitrary<string> = sealedTokenArb
): fc.Arbitrary<Untimed<Command<"SaveApiToken">>> =>
  fc.record({ _tag: fc.constant("SaveApiToken" as const), sealedToken })

export const deleteTenantArb: fc.Arbitrary<Untimed<Command<"DeleteTenant">>> = fc.constant({
  _tag: "DeleteTenant" as const
})

export const generateWebhookSecretArb: fc.Arbitrary<Untimed<Command<"GenerateWebhookSecret">>> = fc.record({
  _tag: fc.constant("GenerateWebhookSecret" as const),
  sealedSecret: sealedTokenArb
})

export const rotateWebhookSecretArb: fc.Arbitrary<Untimed<Command<"RotateWebhookSecret">>> = fc.record({
  _tag: fc.constant("RotateWebhookSecret" as const),
  sealedSecret: sealedTokenArb
})

/** Any tenant command, weighted towards the ones that keep a tenant alive and changing. */
export const untimedTenantCommandArb = (
  create: fc.Arbitrary<Untimed<Command<"CreateTenant">>> = createTenantArb()
): fc.Arbitrary<Untimed<TenantCommand>> =>
  fc.oneof(
    { weight: 2, arbitrary: create },
    { weight: 4, arbitrary: updateTenantConfigArb },
    { weight: 2, arbitrary: saveApiConfigArb },
    { weight: 2, arbitrary: saveApiTokenArb() },
    { weight: 1, arbitrary: generateWebhookSecretArb },
    { weight: 1, arbitrary: rotateWebhookSecretArb },
    { weight: 1, arbitrary: deleteTenantArb }
  )

/** A valid tenant command of any kind with an arbitrary instant. */
export const tenantCommandArb: fc.Arbitrary<TenantCommand> = fc
  .tuple(untimedTenantCommandArb(), stepMillisArb)
  .map(([command, offset]) => withInstant(command, instantAt(offset)))

// Events --------------------------------------------------------------------------------

/** Any tenant event the schema admits, including ones decide would never emit in that order. */
export const tenantEventArb: fc.Arbitrary<TenantEvent> = fc.oneof(
  timed(createTenantArb().map(({ _tag, ...fields }) => ({ _tag: "TenantCreated" as const, ...fields }))),
  timed(configChangesArb.map((changes) => ({ _tag: "TenantConfigUpdated" as const, changes }))),
  timed(apiConfigArb.map((apiConfig) => ({ _tag: "ApiConfigSaved" as const, apiConfig }))),
  timed(sealedTokenArb.map((sealedToken) => ({ _tag: "ApiTokenSaved" as const, sealedToken }))),
  timed(validSlugArb.map((slug) => ({ _tag: "TenantDeleted" as const, slug }))),
  timed(sealedTokenArb.map((sealedSecret) => ({ _tag: "WebhookSecretGenerated" as const, sealedSecret }))),
  timed(sealedTokenArb.map((sealedSecret) => ({ _tag: "WebhookSecretRotated" as const, sealedSecret })))
)
