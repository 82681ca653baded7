import { Effect } from "effect"
import { InviteNotFound } from "../../domain/membership/index.ts"
import { normalizeEmail } from "../../domain/shared/email.ts"
import { now } from "../context.ts"
import { MembersReadModel } from "../ports/MembersReadModel.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { userUseCase } from "../useCase.ts"
import { hashInviteToken } from "./inviteToken.ts"
import { commandActor, runMembershipCommand } from "./membershipCommand.ts"

/**
 * The signed-in user takes up an invite. The token's hash finds the invite; the decider
 * checks it again (constant time), refuses expired, revoked or used invites, and, when
 * the session carries an email, that it is the one invited (compared by fingerprint).
 */
export const acceptInvite = userUseCase("acceptInvite", (context, user, input: { readonly token: string }) =>
  Effect.gen(function* () {
    const invites = yield* MembersReadModel
    const tenants = yield* TenantReadModel
    const box = yield* SecretBox
    const tokenHash = yield* hashInviteToken(input.token)
    const invite = yield* invites.inviteByTokenHash(tokenHash)
    if (invite === undefined) return yield* new InviteNotFound({ by: "token" })
    const emailFingerprint =
      user.email === undefined
        ? null
        : // An invite of a tenant deleted since it was read is an invite that no longer exists.
          yield* box
            .fingerprint(invite.tenantId, normalizeEmail(user.email))
            .pipe(Effect.catchTag("SecretShredded", () => Effect.fail(new InviteNotFound({ by: "token" }))))
    const at = yield* now
    yield* runMembershipCommand(context, invite.tenantId, (tenant) =>
      Effect.succeed({
        _tag: "AcceptInvite" as const,
        tenant,
        actor: commandActor(user),
        inviteId: invite.inviteId,
        tokenHash,
        emailFingerprint,
        at
      })
    )
    const tenant = yield* tenants.byId(invite.tenantId)
    return { tenantId: invite.tenantId, slug: tenant?.slug ?? "", role: invite.role }
  })
)
