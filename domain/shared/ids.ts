import { Schema } from "effect"

/** The user id a session carries (`sub`). */
export const UserId = Schema.NonEmptyString.pipe(
  // Code points, as JSON Schema's `maxLength` counts them (255 UTF-16 units would refuse fewer emoji).
  Schema.check(Schema.isMaxCodePoints(255, { expected: "a value with a length of at most 255" })),
  Schema.brand("UserId")
)
export type UserId = typeof UserId.Type

/** A tenant's immutable id; its slug may be reused after deletion, its id never. */
export const TenantId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^tnt_[0-9a-z]{10,40}$/)),
  Schema.brand("TenantId")
)
export type TenantId = typeof TenantId.Type

/** `whk_…` ids of cache-refresh webhooks; each webhook is a stream of its own. */
export const WebhookId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^whk_[a-z0-9]{8,64}$/)),
  Schema.brand("WebhookId")
)
export type WebhookId = typeof WebhookId.Type

/** An instant as an ISO-8601 UTC string, so events stay plain JSON. */
export const Instant = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/))
)
export type Instant = typeof Instant.Type
