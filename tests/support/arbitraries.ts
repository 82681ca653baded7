import fc from "fast-check"
import type { Hostname } from "../../domain/shared/hostname.ts"
import type { Instant, TenantId, UserId } from "../../domain/shared/ids.ts"
import {
  type ApiConfig,
  type CacheTarget,
  type CmsConfig,
  reservedSlugs,
  type Slug,
  type TenantCommand,
  type TenantConfigChanges,
  type TenantEvent
} from "../../domain/tenant/index.ts"

/**
 * fast-check arbitraries for the tenant aggregate. Everything named `valid…` satisfies
 * the domain Schemas as they stand (tenantDecider.test.ts checks that it does), so a
 * property built on them exercises rules, not input validation.
 */

type Command<Tag extends TenantCommand["_tag"]> = Extract<TenantCommand, { _tag: Tag }>
/** A command without its instant: the instant is chosen when the command runs, so time only moves forward. */
export type Untimed<C> = C extends unknown ? Omit<C, "at"> : never

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const slugBody = `${lowerAlnum}-`
const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(""))
const word = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: chars(alphabet), minLength, maxLength })

// Slugs -------------------------------------------------------------------------------

/** The slug rules written out plainly, as an oracle independent of slug.ts's regex. */
export const isSlugByTheRules = (value: string): boolean =>
  value.length >= 3 &&
  value.length <= 63 &&
  [...value].every((c) => slugBody.includes(c)) &&
  !value.startsWith("-") &&
  !value.endsWith("-") &&
  !reservedSlugs.has(value)

/** 3–63 of a-z0-9-, alphanumeric at both ends, not reserved; short ones are likelier. */
export const validSlugArb: fc.Arbitrary<Slug> = fc
  .tuple(
    chars(lowerAlnum),
    fc.oneof(
      { weight: 4, arbitrary: word(slugBody, 1, 10) },
      { weight: 1, arbitrary: word(slugBody, 1, 61) }
    ),
    chars(lowerAlnum)
  )
  .map(([first, middle, last]) => `${first}${middle}${last}`)
  .filter((slug) => !reservedSlugs.has(slug)) as fc.Arbitrary<Slug>

export const reservedSlugArb: fc.Arbitrary<string> = fc.constantFrom(...reservedSlugs)

/** Strings one rule away from a slug: too short, too long, a hyphen at an end, a foreign character, reserved. */
export const nearValidSlugArb: fc.Arbitrary<string> = fc.oneof(
  word(slugBody, 0, 2),
  fc.tuple(chars(lowerAlnum), word(slugBody, 62, 70), chars(lowerAlnum)).map((parts) => parts.join("")),
  validSlugArb.map((slug) => `-${slug}`),
  validSlugArb.map((slug) => `${slug}-`),
  fc
    .tuple(
      validSlugArb,
      fc.nat(),
      fc.constantFrom("A", "Z", "_", ".", " ", "é", "\n", "/", "ß", "ı", "\u0000")
    )
    .map(([slug, at, c]) => {
      const i = 1 + (at % (slug.length - 1))
      return `${slug.slice(0, i)}${c}${slug.slice(i)}`
    }),
  validSlugArb.map((slug) => slug.toUpperCase()).filter((slug) => /[A-Z]/.test(slug)),
  validSlugArb.map((slug) => `${slug}\n`),
  reservedSlugArb
)

/** Any string that might be mistaken for a slug: mostly slug characters, sometimes others. */
export const slugCandidateArb: fc.Arbitrary<string> = fc.oneof(
  validSlugArb,
  nearValidSlugArb,
  word(`${slugBody}-`, 0, 66),
  word(`${slugBody}A_. `, 0, 66),
  fc.string({ maxLength: 70 })
)

// Ids, instants, hostnames --------------------------------------------------------------

export const tenantIdArb: fc.Arbitrary<TenantId> = word(lowerAlnum, 10, 20).map(
  (suffix) => `tnt_${suffix}` as TenantId
)

/** Non-empty, at most 255 characters, well-formed Unicode without NUL (jsonb cannot store those). */
export const userIdArb: fc.Arbitrary<UserId> = fc.oneof(
  word(`${lowerAlnum}_|-`, 1, 40),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => !s.includes("\u0000"))
) as fc.Arbitrary<UserId>

const epoch = Date.UTC(2026, 0, 1)
/** The ISO instant `offsetMillis` after 2026-01-01T00:00:00Z. */
export const instantAt = (offsetMillis: number): Instant => new Date(epoch + offsetMillis).toISOString()
/** How far a command's instant moves the clock forward: 1 ms to a day. */
export const stepMillisArb = fc.integer({ min: 1, max: 86_400_000 })
/** `n` strictly increasing instants. */
export const increasingInstantsArb = (n: number): fc.Arbitrary<ReadonlyArray<Instant>> =>
  fc.array(stepMillisArb, { minLength: n, maxLength: n }).map((steps) => {
    let offset = 0
    return steps.map((step) => {
      offset += step
      return instantAt(offset)
    })
  })

const label = fc
  .tuple(chars(lowerAlnum), word(slugBody, 0, 8), chars(lowerAlnum))
  .map(([a, b, c]) => `${a}${b}${c}`)
export const hostnameArb: fc.Arbitrary<Hostname> = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom("com", "io", "dev", "org", "cloud"))
  .map(([labels, tld]) => [...labels, tld].join("."))

export const httpsOriginArb: fc.Arbitrary<string> = fc
  .tuple(hostnameArb, fc.option(word(lowerAlnum, 1, 8), { nil: undefined }))
  .map(([host, path]) => (path === undefined ? `https://${host}` : `https://${host}/${path}`))

// CMS and API configuration -------------------------------------------------------------

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

export const cacheTargetArb: fc.Arbitrary<CacheTarget> = fc.constantFrom("api", "assets", "html", "all")

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

/**
 * An opaque string: the decider never looks inside a sealed token. Kept to what
 * PostgreSQL jsonb can hold: a NUL or a lone surrogate is a valid Schema.String but
 * makes the append die (see the harness report), and SecretBox never produces one.
 */
export const sealedTokenArb: fc.Arbitrary<string> = fc.oneof(
  fc.base64String({ minLength: 4, maxLength: 80 }),
  fc.string({ maxLength: 80 })
)

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

export const bumpCacheVersionsArb: fc.Arbitrary<Untimed<Command<"BumpCacheVersions">>> = fc.record({
  _tag: fc.constant("BumpCacheVersions" as const),
  target: cacheTargetArb
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

/** Any command, weighted towards the ones that keep a tenant alive and changing. */
export const untimedCommandArb = (
  create: fc.Arbitrary<Untimed<Command<"CreateTenant">>> = createTenantArb()
): fc.Arbitrary<Untimed<TenantCommand>> =>
  fc.oneof(
    { weight: 2, arbitrary: create },
    { weight: 4, arbitrary: updateTenantConfigArb },
    { weight: 4, arbitrary: bumpCacheVersionsArb },
    { weight: 2, arbitrary: saveApiConfigArb },
    { weight: 2, arbitrary: saveApiTokenArb() },
    { weight: 1, arbitrary: deleteTenantArb }
  )

export const withInstant = <C extends Untimed<TenantCommand>>(command: C, at: Instant) =>
  ({ ...command, at }) as TenantCommand

/** A valid command of any kind with an arbitrary instant. */
export const commandArb: fc.Arbitrary<TenantCommand> = fc
  .tuple(untimedCommandArb(), stepMillisArb)
  .map(([command, offset]) => withInstant(command, instantAt(offset)))

// Events --------------------------------------------------------------------------------

/** Any event the schema admits, including ones decide would never emit in that order. */
export const tenantEventArb: fc.Arbitrary<TenantEvent> = fc.oneof(
  fc.tuple(createTenantArb(), stepMillisArb).map(
    ([{ _tag, ...fields }, offset]): TenantEvent => ({
      _tag: "TenantCreated",
      ...fields,
      at: instantAt(offset)
    })
  ),
  fc
    .tuple(configChangesArb, stepMillisArb)
    .map(
      ([changes, offset]): TenantEvent => ({ _tag: "TenantConfigUpdated", changes, at: instantAt(offset) })
    ),
  fc.tuple(cacheTargetArb, fc.nat(1000), fc.nat(1000), fc.nat(1000), stepMillisArb).map(
    ([target, api, assets, html, offset]): TenantEvent => ({
      _tag: "CacheVersionsBumped",
      target,
      versions: { apiCacheVersion: api, assetCacheVersion: assets, htmlCacheVersion: html },
      at: instantAt(offset)
    })
  ),
  fc
    .tuple(apiConfigArb, stepMillisArb)
    .map(
      ([apiConfig, offset]): TenantEvent => ({ _tag: "ApiConfigSaved", apiConfig, at: instantAt(offset) })
    ),
  fc
    .tuple(sealedTokenArb, stepMillisArb)
    .map(
      ([sealedToken, offset]): TenantEvent => ({ _tag: "ApiTokenSaved", sealedToken, at: instantAt(offset) })
    ),
  fc
    .tuple(validSlugArb, stepMillisArb)
    .map(([slug, offset]): TenantEvent => ({ _tag: "TenantDeleted", slug, at: instantAt(offset) }))
)
