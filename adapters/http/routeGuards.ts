import { Context, Effect, type Fiber } from "effect"
import {
  HttpIncomingMessage,
  HttpMethod,
  HttpRouter,
  HttpServerRequest,
  type HttpServerResponse
} from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"
import type { unhandled } from "effect/Types"
import { defaultMaxBodyBytes, MaxBodyBytes, RateLimitKey, Screen, type ScreenFn } from "./api/guards.ts"
import { clientAddress } from "./clientAddress.ts"
import { errorResponse } from "./envelope.ts"
import { HttpSettings } from "./httpSettings.ts"
import { ReceiverLimits } from "./rateLimit.ts"
import { rawHeader } from "./rawHeaders.ts"

type Handler = Effect.Effect<HttpServerResponse.HttpServerResponse, unhandled, never>

/** What one endpoint's annotations ask of every request routed to it. */
interface Guards {
  readonly rateLimitKey: ((params: Readonly<Record<string, string | undefined>>) => string) | undefined
  /** undefined for methods without a body. */
  readonly maxBodyBytes: number | undefined
  readonly screen: ScreenFn | undefined
}

/**
 * The route guards of `api` (see api/guards.ts): one route middleware, provided to the
 * API's routes, that reads each endpoint's annotations off the definition once and, per
 * request, right after the router has matched it and before http-api decodes anything:
 * charges the rate limit (429), checks a declared body against the limit (413) and asks the
 * endpoint's screen, then lets the request on with the body limit in effect for every reader.
 * Here rather than in http-api middleware, which runs after the endpoint's per-request set-up:
 * a flood of requests refused from memory is answered for a fraction of its cost.
 * The services behind the endpoints' `Screen` keys must be provided where it is built (a
 * missing one stops the server at start).
 */
export const routeGuards = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>
) =>
  HttpRouter.middleware(
    Effect.gen(function* () {
      const limits = yield* ReceiverLimits
      const { trustProxy } = yield* HttpSettings
      const services = yield* Effect.context<never>()

      // By method, then by the endpoint's path as the router has it.
      const byRoute = new Map<string, Map<string, Guards>>()
      HttpApi.reflect(api, {
        onGroup: () => {},
        onEndpoint: ({ endpoint, mergedAnnotations }) => {
          const screenKey = Context.getOrUndefined(mergedAnnotations, Screen)
          const guards: Guards = {
            rateLimitKey: Context.getOrUndefined(mergedAnnotations, RateLimitKey),
            maxBodyBytes: HttpMethod.hasBody(endpoint.method)
              ? (Context.getOrUndefined(mergedAnnotations, MaxBodyBytes) ?? defaultMaxBodyBytes)
              : undefined,
            screen: screenKey === undefined ? undefined : Context.getUnsafe(services as never, screenKey)
          }
          const paths = byRoute.get(endpoint.method) ?? new Map<string, Guards>()
          paths.set(endpoint.path, guards)
          byRoute.set(endpoint.method, paths)
        }
      })

      const tooManyRequests = (wait: number) =>
        errorResponse(
          429,
          { message: "Too many webhook deliveries; retry later" },
          { "retry-after": String(wait) }
        )

      /** The guards of one route, checked in order; undefined when the request may go on. */
      const refusal = (
        guards: Guards,
        tooLarge: HttpServerResponse.HttpServerResponse,
        fiber: Fiber.Fiber<unknown, unknown>
      ): HttpServerResponse.HttpServerResponse | undefined => {
        const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
        const { params } = Context.getUnsafe(fiber.context, HttpRouter.RouteContext)
        if (guards.rateLimitKey !== undefined) {
          const wait = limits.take(clientAddress(request, trustProxy), guards.rateLimitKey(params))
          if (wait > 0) return tooManyRequests(wait)
        }
        if (guards.maxBodyBytes !== undefined) {
          const declared = rawHeader(request, "content-length")
          if (declared !== undefined && Number(declared) > guards.maxBodyBytes) return tooLarge
        }
        return guards.screen?.(params)
      }

      // A route middleware sees each route's handler once, when it is added, but not the
      // route: each handler finds its guards on its first request, and keeps them.
      return (handler: Handler): Handler => {
        let guards: Guards | null | undefined
        let tooLarge: HttpServerResponse.HttpServerResponse
        let limited: Handler = handler
        return Effect.withFiber((fiber) => {
          if (guards === undefined) {
            const { route } = Context.getUnsafe(fiber.context, HttpRouter.RouteContext)
            const found = byRoute.get(route.method)?.get(route.path)
            guards =
              found === undefined ||
              (found.rateLimitKey === undefined &&
                found.maxBodyBytes === undefined &&
                found.screen === undefined)
                ? null
                : found
            if (found?.maxBodyBytes !== undefined) {
              tooLarge = errorResponse(413, { maxBytes: found.maxBodyBytes })
              // Every reader of the body stops past the limit; the envelope answers its failure with 413.
              limited = Effect.provideService(
                handler,
                HttpIncomingMessage.MaxBodySize,
                BigInt(found.maxBodyBytes) as never
              )
            }
          }
          if (guards === null) return handler
          const answer = refusal(guards, tooLarge, fiber)
          return answer === undefined ? limited : Effect.succeed(answer)
        })
      }
    })
  )
