import type { AddressInfo } from "node:net"
import { SMTPServer } from "smtp-server"

export interface CapturedMail {
  readonly from: string
  readonly to: ReadonlyArray<string>
  /** The message as sent, headers and body, with quoted-printable soft breaks undone. */
  readonly raw: string
}

/** A real SMTP server on 127.0.0.1 (port 0) that keeps every message it is given. */
export const startSmtpSink = async () => {
  const messages: Array<CapturedMail> = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Array<Buffer> = []
      stream.on("data", (chunk: Buffer) => chunks.push(chunk))
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks)
            .toString("utf8")
            .replace(/=\r?\n/g, "")
        })
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const port = (server.server.address() as AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
