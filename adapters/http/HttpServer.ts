import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Layer } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { Api } from "./api/Api.ts"
import { envelope } from "./envelope.ts"
import { InvitesHandlers, MembersHandlers } from "./handlers/members.ts"
import { AuthenticationLive, RequestValidationLive, TenantAccessLive } from "./handlers/security.ts"
import { SystemHandlers } from "./handlers/system.ts"
import { TenantHandlers } from "./handlers/tenant.ts"
import { TenantsHandlers } from "./handlers/tenants.ts"
import { WebhookReceiversHandlers, WebhooksHandlers, webhookMaxBodyBytes } from "./handlers/webhooks.ts"

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
        { pathPattern: /^\/api\/tenants\/[^/]+\/webhook$/, maxBytes: webhookMaxBodyBytes }
      ]
    })
  )
)

/** Serves the routes on a real port (0 picks a free one) without per-request logging. */
export const serve = (options: { readonly port: number; readonly host: string }) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host: options.host }))
  )
