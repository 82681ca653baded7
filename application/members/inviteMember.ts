import { Effect } from "effect"
import { normalizeEmail } from "../../domain/shared/email.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { Config } from "../config.ts"
import { now } from "../context.ts"
import { Mailer } from "../ports/Mailer.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { orTenantGone } from "../tenants/tenantGone.ts"
import { tenantUseCase } from "../useCase.ts"
import { hashInviteToken, newInviteToken } from "./inviteToken.ts"
import { commandActor, runMembershipCommand } from "./membershipCommand.ts"

export const defaultInviteTtlHours = 168

const invitationMail = (input: {
  readonly to: string
  readonly slug: string
  readonly role: Role
  readonly token: string
  readonly expiresAt: string
  readonly baseUrl: string
}) => ({
  to: input.to,
  subject: `You are invited to join ${input.slug}`,
  text: [
    `You have been invited to join the tenant "${input.slug}" as ${input.role}.`,
    "",
    "Your invite token (it works once):",
    "",
    `  ${input.token}`,
    "",
    "To accept, sign in and send it to the API:",
    "",
    `  curl -X POST ${input.baseUrl}/api/invites/accept \\`,
    `    -H "Authorization: Bearer <your session token>" -H "content-type: application/json" \\`,
    `    -d '{"token":"${input.token}"}'`,
    "",
    `The invite expires at ${input.expiresAt}.`
  ].join("\n"),
  secrets: [input.token]
})

/**
 * Invites `email` with `role`, or refreshes the pending invite for that email (same
 * invite, new token and expiry). The email is sealed and fingerprinted under the
 * tenant's data key before it reaches the log; the token is returned once, mailed, and
 * kept only as its hash. A mail failure does not undo the invite: `emailSent` says so.
 */
export const inviteMember = tenantUseCase(
  "inviteMember",
  "admin",
  (context, access, input: { readonly email: string; readonly role: Role }) =>
    Effect.gen(function* () {
      const { tenantId, slug } = access.tenant
      const config = yield* Config
      const box = yield* SecretBox
      const mailer = yield* Mailer
      const email = normalizeEmail(input.email)
      const emailFingerprint = yield* orTenantGone(box.fingerprint(tenantId, email))
      const sealedEmail = yield* orTenantGone(box.seal(tenantId, email))
      const token = yield* newInviteToken
      const tokenHash = yield* hashInviteToken(token)
      const at = yield* now
      const ttlMillis = (config.inviteTtlHours ?? defaultInviteTtlHours) * 3_600_000
      const expiresAt = new Date(Date.parse(at) + ttlMillis).toISOString()
      const handled = yield* runMembershipCommand(context, tenantId, (tenant) =>
        Effect.succeed({
          _tag: "InviteMember" as const,
          tenant,
          actor: commandActor(access.principal),
          sealedEmail,
          emailFingerprint,
          role: input.role,
          tokenHash,
          expiresAt,
          at
        })
      )
      const event = handled.decided[0]
      const inviteId =
        event?._tag === "MemberInvited" || event?._tag === "InviteRefreshed" ? event.inviteId : 0
      const invite = handled.state.invites.get(inviteId)
      const sent = yield* mailer
        .send(
          invitationMail({
            to: email,
            slug,
            role: input.role,
            token,
            expiresAt,
            baseUrl: config.publicBaseUrl
          })
        )
        .pipe(
          Effect.map((result) => result.delivered),
          Effect.catchTag("MailNotSent", (error) =>
            Effect.as(
              Effect.logWarning("invitation mail not sent", { inviteId, reason: error.reason }),
              false
            )
          )
        )
      return {
        id: inviteId,
        email,
        role: input.role,
        token,
        expiresAt,
        createdAt: invite?.createdAt ?? at,
        emailSent: sent
      }
    })
)
