import { Effect, flow } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Api } from "./api/Api.ts"
import { EdgeAuthentication } from "./api/logs.ts"
import { Authentication } from "./api/security.ts"

/**
 * The typed Tenantry client, derived from the same API definition as the server.
 * `token` is a session JWT; without one, calls go out unauthenticated. `edgeToken` is an edge's
 * (EDGE_TOKEN), for `POST /api/edge/logs`.
 */
export const makeTenantryClient = (options: {
  readonly baseUrl: string
  readonly token?: string | undefined
  readonly edgeToken?: string | undefined
}) =>
  HttpApiClient.make(Api, {
    transformClient: HttpClient.mapRequest(flow(HttpClientRequest.prependUrl(options.baseUrl)))
  }).pipe(
    Effect.provide(
      HttpApiMiddleware.layerClient(Authentication, ({ next, request }) =>
        next(options.token === undefined ? request : HttpClientRequest.bearerToken(request, options.token))
      )
    ),
    Effect.provide(
      HttpApiMiddleware.layerClient(EdgeAuthentication, ({ next, request }) =>
        next(
          options.edgeToken === undefined
            ? request
            : HttpClientRequest.bearerToken(request, options.edgeToken)
        )
      )
    ),
    Effect.provide(FetchHttpClient.layer)
  )

export type TenantryClient = Effect.Success<ReturnType<typeof makeTenantryClient>>
