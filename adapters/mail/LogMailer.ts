import { Effect, Layer } from "effect"
import { Mailer } from "../../application/ports/Mailer.ts"

const mask = (text: string, secrets: ReadonlyArray<string>) =>
  secrets.reduce((masked, secret) => (secret === "" ? masked : masked.split(secret).join("[redacted]")), text)

/**
 * Development mail without an SMTP server: the message goes to the log with its secrets
 * (the invite token) masked, and is reported as not delivered. The token still reaches
 * the person who sent the invite, in the API response.
 */
export const layer = Layer.succeed(
  Mailer,
  Mailer.of({
    send: (mail) =>
      Effect.logInfo("mail not sent (SMTP_URL is not set); it would have said:").pipe(
        Effect.annotateLogs({ to: mail.to, subject: mail.subject, text: mask(mail.text, mail.secrets) }),
        Effect.as({ delivered: false })
      )
  })
)
