import { Effect } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { globalAuditFeed } from "../../../application/tenants/auditFeed.ts"
import { Api } from "../api/Api.ts"
import { ValidationFailed } from "../api/errors.ts"
import { CurrentUser } from "../api/security.ts"
import { feedResponse, resumePoint } from "../auditStreams.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

/** Where a feed request resumes, or its 400. */
export const feedStart = (after: number | undefined) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const point = resumePoint(request, after)
    if ("problem" in point) {
      return yield* new ValidationFailed({ message: "The resume point is invalid", errors: point.problem })
    }
    return { request, after: point.after }
  })

export const AuditHandlers = HttpApiBuilder.group(Api, "audit", (handlers) =>
  Effect.succeed(
    handlers.handle("globalAuditStream", ({ query }) =>
      Effect.gen(function* () {
        const { request, after } = yield* feedStart(query.after)
        const feed = yield* globalAuditFeed(yield* requestContext, after).pipe(respond)
        const user = yield* CurrentUser
        return yield* feedResponse({ request, userId: user.userId, after, feed })
      })
    )
  )
)
