import { Schema } from "effect"
import { hasAtMostCodePoints } from "./text.ts"

// Deliberately plain: one @, no spaces, a dotted domain. Deliverability is the mail server's call.
const emailRegExp = /^[^\s@"<>,;]+@[^\s@"<>,;]+\.[^\s@"<>,;.]+$/u
const emailMaxLength = 254

/**
 * An email address as users type it; compare and store it normalised (`normalizeEmail`).
 * `/openapi.json` states the same pattern and length (no `format: email`: RFC 5321's address
 * is narrower than this rule, which also takes non-ASCII addresses).
 */
export const Email = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) =>
        (hasAtMostCodePoints(value, emailMaxLength) && emailRegExp.test(value)) ||
        "must be an email address such as user@example.com",
      {
        expected: "an email address such as user@example.com",
        toJsonSchema: () => ({ pattern: emailRegExp.source, maxLength: emailMaxLength })
      }
    )
  ),
  Schema.annotate({
    description:
      "An email address such as user@example.com: one @, no spaces, quotes, <, >, commas or semicolons, a dotted domain."
  })
)

/** Emails are matched case-insensitively: the one spelling we seal, fingerprint and show. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()
