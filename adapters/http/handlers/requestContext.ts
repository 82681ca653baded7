import { Effect } from "effect"
import type { RequestContext } from "../../../application/tenants/context.ts"
import { CurrentUser } from "../api/security.ts"
import { CurrentRequestId } from "../requestId.ts"

/** The signed-in user as the actor of whatever this request appends. */
export const userRequestContext = Effect.gen(function* () {
  const user = yield* CurrentUser
  const requestId = yield* CurrentRequestId
  return { actor: { type: "user", id: user.userId }, requestId } satisfies RequestContext
})
