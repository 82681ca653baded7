import fc from "fast-check"
import type { Hostname } from "../../../domain/shared/hostname.ts"
import type { Instant, TenantId, UserId } from "../../../domain/shared/ids.ts"
import { type Role, roles } from "../../../domain/shared/roles.ts"
import { reservedSlugs, type Slug } from "../../../domain/tenant/index.ts"

/**
 * The building blocks every aggregate's arbitraries share: ids, instants, slugs,
 * hostnames. Everything named `valid…` (and every id) satisfies the domain Schemas as
 * they stand (tests/property/schemas.test.ts checks that it does), so a property built
 * on them exercises rules, not input validation.
 */

/** A command without its instant: the instant is chosen when the command runs, so time only moves forward. */
export type Untimed<C> = C extends unknown ? Omit<C, "at"> : never

/** The command with its instant. */
export const withInstant = <U extends object>(command: U, at: Instant): U & { readonly at: Instant } => ({
  ...command,
  at
})

export const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const slugBody = `${lowerAlnum}-`
export const chars = (alphabet: string) => fc.constantFrom(...alphabet.split(""))
export const word = (alphabet: string, minLength: number, maxLength: number) =>
  fc.string({ unit: chars(alphabet), minLength, maxLength })

/**
 * Keys an object inherits from Object.prototype, and `__proto__` itself: as ids, they
 * must name nobody in state keyed by ids (issue 13, hole 1). `UserId` admits every one.
 */
export const hostileKeys = [
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype"
] as const
export const hostileKeyArb: fc.Arbitrary<string> = fc.constantFrom(...hostileKeys)

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
  fc.string({ maxLength: 70 }),
  hostileKeyArb
)

// Ids, instants, hostnames --------------------------------------------------------------

export const tenantIdArb: fc.Arbitrary<TenantId> = word(lowerAlnum, 10, 20).map(
  (suffix) => `tnt_${suffix}` as TenantId
)

/**
 * Non-empty, at most 255 characters, well-formed Unicode without NUL (jsonb cannot store
 * those); now and then a key Object.prototype already has.
 */
export const userIdArb: fc.Arbitrary<UserId> = fc.oneof(
  { weight: 4, arbitrary: word(`${lowerAlnum}_|-`, 1, 40) },
  {
    weight: 4,
    arbitrary: fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .filter((s) => !s.includes("\u0000"))
  },
  { weight: 1, arbitrary: hostileKeyArb }
) as fc.Arbitrary<UserId>

export const roleArb: fc.Arbitrary<Role> = fc.constantFrom(...roles)

const epoch = Date.UTC(2026, 0, 1)
/** The ISO instant `offsetMillis` after 2026-01-01T00:00:00Z. */
export const instantAt = (offsetMillis: number): Instant => new Date(epoch + offsetMillis).toISOString()
/** How far a command's instant moves the clock forward: 1 ms to a day. */
export const stepMillisArb = fc.integer({ min: 1, max: 86_400_000 })
/** Any instant within the first ~3 years after 2026-01-01. */
export const instantArb: fc.Arbitrary<Instant> = fc.integer({ min: 0, max: 1000 * 86_400_000 }).map(instantAt)
/** A command or event with an arbitrary instant. */
export const timed = <U extends object>(arb: fc.Arbitrary<U>): fc.Arbitrary<U & { readonly at: Instant }> =>
  fc.tuple(arb, stepMillisArb).map(([value, offset]) => withInstant(value, instantAt(offset)))
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

/**
 * An opaque string (a sealed token or secret, a hash): deciders never look inside. Kept
 * to what PostgreSQL jsonb can hold: a NUL or a lone surrogate is a valid Schema.String
 * but makes the append die, and SecretBox never produces one.
 */
export const opaqueArb: fc.Arbitrary<string> = fc.oneof(
  fc.base64String({ minLength: 4, maxLength: 80 }),
  fc.string({ maxLength: 80 })
)

/** A SHA-256 in hex, as webhook secrets and invite tokens are kept. */
export const sha256HexArb: fc.Arbitrary<string> = fc.stringMatching(/^[0-9a-f]{64}$/)
