import { Effect } from "effect"
import type { UserId } from "../../domain/shared/ids.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { now, type RequestContext } from "../tenants/context.ts"
import { runTenantCommand } from "../tenants/runTenantCommand.ts"
import { commandActor } from "./actor.ts"

/** Changes a member's role under the decider's rules; the same role again records nothing. */
export const changeMemberRole = Effect.fn("changeMemberRole")(function* (
  context: RequestContext,
  tenantId: string,
  input: { readonly userId: string; readonly role: Role }
) {
  const actor = yield* commandActor(context)
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({
      _tag: "ChangeMemberRole" as const,
      actor,
      userId: input.userId as UserId,
      role: input.role,
      at
    })
  )
  return { userId: input.userId, role: input.role, updatedAt: at }
})

export const removeMember = Effect.fn("removeMember")(function* (
  context: RequestContext,
  tenantId: string,
  userId: string
) {
  const actor = yield* commandActor(context)
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "RemoveMember" as const, actor, userId: userId as UserId, at })
  )
  return { userId }
})

export const revokeInvite = Effect.fn("revokeInvite")(function* (
  context: RequestContext,
  tenantId: string,
  inviteId: number
) {
  const actor = yield* commandActor(context)
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "RevokeInvite" as const, actor, inviteId, at })
  )
  return { inviteId }
})
