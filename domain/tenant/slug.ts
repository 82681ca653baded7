import { Schema } from "effect"

/** Slugs that name our own surfaces; never available to a tenant. */
export const reservedSlugs: ReadonlySet<string> = new Set([
  "www",
  "api",
  "app",
  "admin",
  "dashboard",
  "docs",
  "status",
  "mail",
  "smtp",
  "ftp",
  "cdn",
  "assets",
  "static",
  "proxy",
  "edge",
  "auth",
  "login",
  "logout",
  "signup",
  "signin",
  "account",
  "accounts",
  "billing",
  "support",
  "help",
  "blog",
  "dev",
  "staging",
  "test",
  "preview",
  "internal",
  "root",
  "system",
  "webhook",
  "webhooks",
  "ns1",
  "ns2",
  "tenant",
  "tenants",
  "cachely",
  "tenantry",
  // sibling paths of /api/tenants/{slug}
  "slug-availability",
  "usage"
])

const slugPattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/u

export type SlugProblem = "format" | "reserved"

/** Why a string cannot be a slug, or undefined when it can. */
export const slugProblem = (value: string): SlugProblem | undefined =>
  !slugPattern.test(value) ? "format" : reservedSlugs.has(value) ? "reserved" : undefined

export const slugMessages: Record<SlugProblem, string> = {
  format: "must be 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit",
  reserved: "is reserved"
}

/** The shape of a slug, reserved or not: `slug-availability` takes any (a reserved one is unavailable). */
const isSlugShaped = Schema.makeFilter((value: string) => slugPattern.test(value) || slugMessages.format, {
  expected: "a slug of 3-63 characters of a-z, 0-9 and -",
  toJsonSchema: () => ({ pattern: slugPattern.source })
})

/** Never one of `reservedSlugs`; a malformed value passes here, so each problem reads once. */
const isNotReserved = Schema.makeFilter(
  (value: string) => !reservedSlugs.has(value) || slugMessages.reserved,
  {
    toJsonSchema: () => ({ not: { enum: [...reservedSlugs] } })
  }
)

const slugShape = "3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit"

/** Any slug-shaped string, reserved or not. */
export const SlugFormat = Schema.String.annotate({
  description: `${slugShape}.`,
  examples: ["acme", "my-project"]
}).pipe(Schema.check(isSlugShaped))

/**
 * A tenant's public name: 3–63 of `a-z0-9-`, alphanumeric at both ends, not reserved. Both rules
 * are JSON Schema in `/openapi.json`: the pattern, and the reserved names as `not: { enum }`.
 */
export const Slug = Schema.String.annotate({
  description: `${slugShape}; not a reserved name.`,
  examples: ["acme", "my-project"]
}).pipe(Schema.check(isSlugShaped, isNotReserved), Schema.brand("Slug"))
export type Slug = typeof Slug.Type
