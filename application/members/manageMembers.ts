import { Effect } from "effect"
import type { UserId } from "../../domain/shared/ids.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { now } from "../context.ts"
import { tenantUseCase } from "../useCase.ts"
import { commandActor, runMembershipCommand } from "./membershipCommand.ts"

/** Changes a member's role under the decider's rules; the same role again records nothing. */
export const changeMemberRole = tenantUseCase(
  "changeMemberRole",
  "admin",
  (context, access, input: { readonly userId: UserId; readonly role: Role }) =>
    Effect.gen(function* () {
      const at = yield* now
      yield* runMembershipCommand(context, access.tenant.tenantId, (tenant) =>
        Effect.succeed({
          _tag: "ChangeMemberRole" as const,
          tenant,
          actor: commandActor(access.principal),
          userId: input.userId,
          role: input.role,
          at
        })
      )
      return { userId: input.userId, role: input.role, updatedAt: at }
    })
)

export const removeMember = tenantUseCase("removeMember", "admin", (context, access, userId: UserId) =>
  Effect.gen(function* () {
    const at = yield* now
    yield* runMembershipCommand(context, access.tenant.tenantId, (tenant) =>
      Effect.succeed({
        _tag: "RemoveMember" as const,
        tenant,
        actor: commandActor(access.principal),
        userId,
        at
      })
    )
    return { userId }
  })
)

export const revokeInvite = tenantUseCase("revokeInvite", "admin", (context, access, inviteId: number) =>
  Effect.gen(function* () {
    const at = yield* now
    yield* runMembershipCommand(context, access.tenant.tenantId, (tenant) =>
      Effect.succeed({
        _tag: "RevokeInvite" as const,
        tenant,
        actor: commandActor(access.principal),
        inviteId,
        at
      })
    )
    return { inviteId }
  })
)
