import { Effect } from "effect"
import type { UserId } from "../../domain/shared/ids.ts"
import type { CommandActor } from "../../domain/tenant/index.ts"
import { Config } from "../config.ts"
import type { RequestContext } from "../tenants/context.ts"

/** The caller as a membership command's actor: master admins act as owners. */
export const commandActor = (context: RequestContext) =>
  Effect.gen(function* () {
    const config = yield* Config
    return {
      userId: context.actor.id as UserId,
      masterAdmin: config.masterAdminUserIds.has(context.actor.id)
    } satisfies CommandActor
  })
