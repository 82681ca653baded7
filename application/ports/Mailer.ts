import { Context, type Effect, Schema } from "effect"

/** One plain-text message to one recipient. */
export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
  /** Substrings (tokens, links) an adapter that logs the message must mask. */
  readonly secrets: ReadonlyArray<string>
}

/** The message could not be handed to the mail server. */
export class MailNotSent extends Schema.TaggedError<MailNotSent>()("MailNotSent", {
  reason: Schema.String
}) {}

/**
 * Sends mail. `delivered` tells the truth: true only when a mail server accepted the
 * message, false when the adapter only recorded it (development, no SMTP_URL).
 */
export class Mailer extends Context.Service<
  Mailer,
  { readonly send: (mail: Mail) => Effect.Effect<{ readonly delivered: boolean }, MailNotSent> }
>()("tenantry/application/ports/Mailer") {}
