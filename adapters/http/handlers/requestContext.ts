import { Effect } from "effect"
import { principalOfSession } from "../../../application/auth/principal.ts"
import type { RequestContext } from "../../../application/context.ts"
import { CurrentUser } from "../api/security.ts"
import { CurrentRequestId } from "../requestId.ts"

/** The signed-in user as the principal of whatever this request asks of a use case. */
export const requestContext = Effect.gen(function* () {
  const principal = yield* principalOfSession(yield* CurrentUser)
  const requestId = yield* CurrentRequestId
  return { principal, requestId } satisfies RequestContext
})
