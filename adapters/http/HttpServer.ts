import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { allowedMethods } from "./allowedMethods.ts"
import { Api } from "./api/Api.ts"
import { type AuditStreamSettings, AuditStreams } from "./auditStreams.ts"
import { envelope } from "./envelope.ts"
import { AnalyticsHandlers, UsageHandlers } from "./handlers/analytics.ts"
import { AuditHandlers } from "./handlers/audit.ts"
import { ChecksHandlers } from "./handlers/checks.ts"
import { ConfigHandlers, DomainsHandlers } from "./handlers/domains.ts"
import { EdgeAuthenticationLive, EdgeLogsHandlers, LogsHandlers } from "./handlers/logs.ts"
import { InvitesHandlers, MembersHandlers } from "./handlers/members.ts"
import {
  AuthenticationLive,
  RequestValidationLive,
  TenantScopeLive,
  UseCaseErrorsLive
} from "./handlers/security.ts"
import { SystemHandlers } from "./handlers/system.ts"
import { TenantHandlers } from "./handlers/tenant.ts"
import { TenantsHandlers } from "./handlers/tenants.ts"
import { CacheRefreshScreenLive, WebhookReceiversHandlers } from "./handlers/webhookReceivers.ts"
import { WebhooksHandlers } from "./handlers/webhooks.ts"
import { HttpSettings, type HttpSettingsShape } from "./httpSettings.ts"
import { answerClientError } from "./nodeReply.ts"
import { ReceiverLimits } from "./rateLimit.ts"
import { routeGuards } from "./routeGuards.ts"

const openapiPath = "/openapi.json"
const docsPath = "/docs"

/**
 * Every route: the API (the public webhook receivers among its endpoints), its OpenAPI
 * document and the docs page, all behind the envelope. One stack: every request meets the
 * same middleware (envelope.ts, routeGuards.ts, handlers/security.ts).
 */
export const routes = HttpApiBuilder.layer(Api, { openapiPath }).pipe(
  Layer.provide([
    TenantsHandlers,
    TenantHandlers,
    ChecksHandlers,
    MembersHandlers,
    InvitesHandlers,
    AuditHandlers,
    SystemHandlers,
    WebhooksHandlers,
    WebhookReceiversHandlers,
    DomainsHandlers,
    ConfigHandlers,
    LogsHandlers,
    EdgeLogsHandlers,
    UsageHandlers,
    AnalyticsHandlers
  ]),
  Layer.provide([
    AuthenticationLive,
    TenantScopeLive,
    UseCaseErrorsLive,
    RequestValidationLive,
    EdgeAuthenticationLive
  ]),
  Layer.provide(routeGuards(Api).layer.pipe(Layer.provide(CacheRefreshScreenLive))),
  Layer.merge(HttpApiScalar.layer(Api, { path: docsPath })),
  Layer.merge(
    envelope({
      allowedMethods: allowedMethods(Api, [
        { method: "GET", path: openapiPath },
        { method: "GET", path: docsPath }
      ])
    })
  ),
  Layer.provide(ReceiverLimits.layer)
)

export interface ServeOptions extends HttpSettingsShape {
  readonly port: number
  readonly host: string
  readonly auditStreams?: AuditStreamSettings | undefined
}

/**
 * Serves the routes on a real port (0 picks a free one) without per-request logging.
 * Requests node:http's own parser refuses never reach them; `answerClientError` answers
 * those in the envelope too.
 */
export const serve = (options: ServeOptions) =>
  endAuditStreamsFirst.pipe(
    Layer.provideMerge(serveRoutes(options)),
    Layer.provideMerge(AuditStreams.layer(options.auditStreams))
  )

/**
 * Built after the server, so released before it: at shutdown the audit feeds end (each with
 * its resume message) before the server stops taking requests and waits for those in flight,
 * which a feed, being endless, would otherwise hold until the grace period cut it.
 */
const endAuditStreamsFirst = Layer.effectDiscard(
  Effect.gen(function* () {
    const streams = yield* AuditStreams
    yield* Effect.addFinalizer(() => streams.endAll)
  })
)

const serveRoutes = (options: ServeOptions) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(
      NodeHttpServer.layer(
        () => {
          const server = createServer()
          server.on("clientError", answerClientError)
          return server
        },
        { port: options.port, host: options.host }
      )
    ),
    Layer.provide(
      Layer.succeed(HttpSettings, {
        allowedOrigins: options.allowedOrigins,
        trustProxy: options.trustProxy,
        internalApiToken: options.internalApiToken
      })
    )
  )
