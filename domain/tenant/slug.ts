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

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/

export type SlugProblem = "format" | "reserved"

/** Why a string cannot be a slug, or undefined when it can. */
export const slugProblem = (value: string): SlugProblem | undefined =>
  !slugPattern.test(value) ? "format" : reservedSlugs.has(value) ? "reserved" : undefined

export const slugMessages: Record<SlugProblem, string> = {
  format: "must be 3-63 characters of a-z, 0-9 and -, starting and ending with a letter or digit",
  reserved: "is reserved"
}

/** A tenant's public name: 3–63 of `a-z0-9-`, alphanumeric at both ends, not reserved. */
export const Slug = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) => {
        const problem = slugProblem(value)
        return problem === undefined ? true : slugMessages[problem]
      },
      { expected: "a slug of 3-63 characters of a-z, 0-9 and -" }
    )
  ),
  Schema.brand("Slug")
)
export type Slug = typeof Slug.Type
