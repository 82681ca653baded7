import { Effect } from "effect"
import { MembersReadModel } from "../ports/MembersReadModel.ts"
import { SecretBox } from "../ports/SecretBox.ts"

/**
 * Members, and, for those who manage them, pending invites with their emails opened
 * from the log's ciphertext. An invite whose key is already shredded is left out.
 */
export const listMembers = Effect.fn("listMembers")(function* (tenantId: string, withInvites: boolean) {
  const readModel = yield* MembersReadModel
  const box = yield* SecretBox
  const members = yield* readModel.members(tenantId)
  if (!withInvites) return { members, invites: [] }
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
