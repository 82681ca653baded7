import { Schema } from "effect"

/** No cache-refresh webhook with this id on this tenant (never created, deleted, or another tenant's). */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  webhookId: Schema.String
}) {
  readonly code = "webhook_not_found"
}

/** Ids are random; a clash would mean two webhooks in one stream, so it is refused instead. */
export class WebhookAlreadyExists extends Schema.TaggedError<WebhookAlreadyExists>()(
  "WebhookAlreadyExists",
  {}
) {
  readonly code = "webhook_already_exists"
}
