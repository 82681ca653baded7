import { type IncomingMessage, Server, type ServerResponse } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { Api } from "./api/Api.ts"
import { webhookMaxBodyBytes } from "./cacheRefreshReceiver.ts"
import { envelope } from "./envelope.ts"
import { InvitesHandlers, MembersHandlers } from "./handlers/members.ts"
import { AuthenticationLive, RequestValidationLive, TenantAccessLive } from "./handlers/security.ts"
import { SystemHandlers } from "./handlers/system.ts"
import { TenantHandlers } from "./handlers/tenant.ts"
import { TenantsHandlers } from "./handlers/tenants.ts"
import { WebhookReceiversHandlers, WebhooksHandlers } from "./handlers/webhooks.ts"
import { answerClientError } from "./nodeReply.ts"
import { ReceiverLimits } from "./rateLimit.ts"
import { makeReceiverGate, type ReceiverGate, sitePublishPath } from "./receiverGate.ts"

export const defaultMaxBodyBytes = 1024 * 1024

/** Every route: the API, its OpenAPI document, the docs page, all behind the envelope. */
export const routes = HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide([TenantsHandlers, TenantHandlers, MembersHandlers, InvitesHandlers, SystemHandlers]),
  Layer.provide([WebhooksHandlers, WebhookReceiversHandlers]),
  Layer.provide([AuthenticationLive, TenantAccessLive, RequestValidationLive]),
  Layer.merge(HttpApiScalar.layer(Api, { path: "/docs" })),
  Layer.merge(
    envelope({
      maxBodyBytes: defaultMaxBodyBytes,
      // The public receivers: 64 KiB, refused with 413 while streaming, never buffered whole.
      bodyLimits: [
        { pathPrefix: "/api/webhooks/", maxBytes: webhookMaxBodyBytes },
        { pathPattern: sitePublishPath, maxBytes: webhookMaxBodyBytes }
      ]
    })
  )
)

/**
 * A node:http server whose requests meet the receiver gate before the Effect
 * application's listeners: what the gate answers, they never see. Requests its parser
 * refuses are answered in the envelope too (`answerClientError`).
 */
class GatedServer extends Server {
  readonly gate: ReceiverGate
  constructor(gate: ReceiverGate) {
    super()
    this.gate = gate
    this.on("clientError", answerClientError)
  }
  override emit(event: string | symbol, ...args: Array<unknown>): boolean {
    if (
      (event === "request" || event === "checkContinue") &&
      this.gate(args[0] as IncomingMessage, args[1] as ServerResponse, event === "checkContinue")
    ) {
      return true
    }
    return super.emit(event as string, ...args)
  }
}

/** Serves the routes on a real port (0 picks a free one) without per-request logging. */
export const serve = (options: { readonly port: number; readonly host: string }) =>
  Layer.unwrap(
    Effect.map(makeReceiverGate, (gate) =>
      HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provideMerge(
          NodeHttpServer.layer(() => new GatedServer(gate), { port: options.port, host: options.host })
        )
      )
    )
  ).pipe(
    // One set of limits for the gate and the receivers' handlers.
    Layer.provide(ReceiverLimits.layer)
  )
