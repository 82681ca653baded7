import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import {
  cacheRefreshWebhookEvents,
  createCacheRefreshWebhook,
  deleteCacheRefreshWebhook,
  listCacheRefreshWebhooks,
  regenerateCacheRefreshWebhook
} from "../../../application/webhooks/cacheRefreshWebhooks.ts"
import { ensureWebhookSecret, rotateWebhookSecret } from "../../../application/webhooks/siteWebhookSecret.ts"
import { Api } from "../api/Api.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

export const WebhooksHandlers = HttpApiBuilder.group(Api, "webhooks", (handlers) =>
  handlers
    .handle("generateWebhookSecret", ({ params }) =>
      Effect.flatMap(requestContext, (context) => ensureWebhookSecret(context, params.slug)).pipe(respond)
    )
    .handle("rotateWebhookSecret", ({ params }) =>
      Effect.flatMap(requestContext, (context) => rotateWebhookSecret(context, params.slug)).pipe(respond)
    )
    .handle("listCacheRefreshWebhooks", ({ params }) =>
      Effect.flatMap(requestContext, (context) => listCacheRefreshWebhooks(context, params.slug)).pipe(
        respond
      )
    )
    .handle("createCacheRefreshWebhook", ({ params, payload }) =>
      Effect.flatMap(requestContext, (context) =>
        createCacheRefreshWebhook(context, params.slug, {
          provider: payload.provider,
          refreshAssets: payload.refreshAssets ?? false
        })
      ).pipe(respond)
    )
    .handle("regenerateCacheRefreshWebhook", ({ params }) =>
      Effect.flatMap(requestContext, (context) =>
        regenerateCacheRefreshWebhook(context, params.slug, params.id)
      ).pipe(respond)
    )
    .handle("deleteCacheRefreshWebhook", ({ params }) =>
      Effect.flatMap(requestContext, (context) =>
        deleteCacheRefreshWebhook(context, params.slug, params.id)
      ).pipe(respond)
    )
    .handle("cacheRefreshWebhookEvents", ({ params }) =>
      Effect.flatMap(requestContext, (context) =>
        cacheRefreshWebhookEvents(context, params.slug, params.id)
      ).pipe(respond)
    )
)
