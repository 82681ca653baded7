import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { cachelyCheck } from "../../../application/checks/cachelyCheck.ts"
import { websiteImplementationCheck } from "../../../application/checks/websiteImplementationCheck.ts"
import { Api } from "../api/Api.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

export const ChecksHandlers = HttpApiBuilder.group(Api, "checks", (handlers) =>
  Effect.succeed(
    handlers
      .handle("cachelyCheck", ({ params }) =>
        Effect.flatMap(requestContext, (context) => cachelyCheck(context, params.slug)).pipe(respond)
      )
      .handle("websiteImplementationCheck", ({ params, payload }) =>
        Effect.flatMap(requestContext, (context) =>
          websiteImplementationCheck(context, params.slug, { url: payload.url })
        ).pipe(respond)
      )
  )
)
