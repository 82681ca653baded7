import { Effect, Layer } from "effect"
import nodemailer from "nodemailer"
import { Mailer, MailNotSent } from "../../application/ports/Mailer.ts"

/**
 * Mail through an SMTP server (`SMTP_URL`, e.g. `smtp://user:pass@mail.example.com:587`
 * or `smtps://…`). A message counts as delivered once the server accepted it.
 */
export const layer = (options: { readonly url: string; readonly from: string }) =>
  Layer.effect(
    Mailer,
    Effect.acquireRelease(
      Effect.sync(() =>
        nodemailer.createTransport({
          url: options.url,
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 20_000
        })
      ),
      (transport) => Effect.sync(() => transport.close())
    ).pipe(
      Effect.map((transport) =>
        Mailer.of({
          send: (mail) =>
            Effect.tryPromise({
              try: () =>
                transport.sendMail({
                  from: options.from,
                  to: mail.to,
                  subject: mail.subject,
                  text: mail.text
                }),
              catch: (cause) =>
                new MailNotSent({ reason: cause instanceof Error ? cause.message : String(cause) })
            }).pipe(
              Effect.flatMap((info) =>
                info.accepted.length > 0
                  ? Effect.succeed({ delivered: true })
                  : Effect.fail(new MailNotSent({ reason: `the server refused ${mail.to}` }))
              )
            )
        })
      )
    )
  )
