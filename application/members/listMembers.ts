import { Effect } from "effect"
import { hasRole } from "../../domain/shared/roles.ts"
import { MembersReadModel } from "../ports/MembersReadModel.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { tenantUseCase } from "../useCase.ts"

/**
 * Members, and, for those who manage them (admins, owners, master admins), pending
 * invites with their emails opened from the log's ciphertext. An invite whose key is
 * already shredded is left out.
 */
export const listMembers = tenantUseCase("listMembers", "viewer", (_context, access) =>
  Effect.gen(function* () {
    const { tenantId } = access.tenant
    const readModel = yield* MembersReadModel
    const box = yield* SecretBox
    const members = yield* readModel.members(tenantId)
    const manages =
      hasRole(access.role, "admin") || (access.principal._tag === "User" && access.principal.masterAdmin)
    if (!manages) return { members, invites: [] }
    const pending = yield* readModel.pendingInvites(tenantId)
    const invites = yield* Effect.forEach(pending, (invite) =>
      box.open(tenantId, invite.sealedEmail).pipe(
        Effect.map((email) => [
          {
            id: invite.inviteId,
            email,
            role: invite.role,
            invitedBy: invite.invitedBy,
            expiresAt: invite.expiresAt,
            createdAt: invite.createdAt,
            updatedAt: invite.updatedAt
          }
        ]),
        Effect.catchTag("SecretShredded", () => Effect.succeed([]))
      )
    )
    return { members, invites: invites.flat() }
  })
)
