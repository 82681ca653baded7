import { Schema } from "effect"

// Deliberately plain: one @, no spaces, a dotted domain. Deliverability is the mail server's call.
const emailPattern = /^[^\s@"<>,;]+@[^\s@"<>,;]+\.[^\s@"<>,;.]+$/

/** An email address as users type it; compare and store it normalised (`normalizeEmail`). */
export const Email = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) =>
        (value.length <= 254 && emailPattern.test(value)) ||
        "must be an email address such as user@example.com",
      { expected: "an email address such as user@example.com" }
    )
  )
)

/** Emails are matched case-insensitively: the one spelling we seal, fingerprint and show. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()
