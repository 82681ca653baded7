import { Effect } from "effect"
import { normalizeEmail } from "../../domain/shared/email.ts"
import { InviteNotFound } from "../../domain/tenant/index.ts"
import { MembersReadModel } from "../ports/MembersReadModel.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { now, type RequestContext } from "../tenants/context.ts"
import { runTenantCommand } from "../tenants/runTenantCommand.ts"
import { commandActor } from "./actor.ts"
import { hashInviteToken } from "./inviteToken.ts"

/**
 * The signed-in user takes up an invite. The token's hash finds the invite; the decider
 * checks it again (constant time), refuses expired, revoked or used invites, and, when
 * the session carries an email, that it is the one invited (compared by fingerprint).
 */
export const acceptInvite = Effect.fn("acceptInvite")(function* (
  context: RequestContext,
  input: { readonly token: string; readonly sessionEmail: string | undefined }
) {
  const invites = yield* MembersReadModel
  const tenants = yield* TenantReadModel
  const box = yield* SecretBox
  const tokenHash = yield* hashInviteToken(input.token)
  const invite = yield* invites.inviteByTokenHash(tokenHash)
  if (invite === undefined) return yield* new InviteNotFound()
  const emailFingerprint =
    input.sessionEmail === undefined
      ? null
      : yield* box.fingerprint(invite.tenantId, normalizeEmail(input.sessionEmail))
  const actor = yield* commandActor(context)
  const at = yield* now
  yield* runTenantCommand(context, invite.tenantId, () =>
    Effect.succeed({
      _tag: "AcceptInvite" as const,
      actor,
      inviteId: invite.inviteId,
      tokenHash,
      emailFingerprint,
      at
    })
  )
  const tenant = yield* tenants.byId(invite.tenantId)
  return { tenantId: invite.tenantId, slug: tenant?.slug ?? "", role: invite.role }
})
