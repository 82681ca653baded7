import { Schema } from "effect"

/** The user id a session carries (`sub`). */
export const UserId = Schema.NonEmptyString.pipe(
  Schema.check(Schema.isMaxLength(255)),
  Schema.brand("UserId")
)
export type UserId = typeof UserId.Type

/** A tenant's immutable id; its slug may be reused after deletion, its id never. */
export const TenantId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^tnt_[0-9a-z]{10,40}$/)),
  Schema.brand("TenantId")
)
export type TenantId = typeof TenantId.Type

/** An instant as an ISO-8601 UTC string, so events stay plain JSON. */
export const Instant = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/))
)
export type Instant = typeof Instant.Type
