import { Schema } from "effect"
import { Instant, TenantId, WebhookId } from "../shared/ids.ts"
import { type WebhookEvent, WebhookProvider } from "./events.ts"

export const ActiveWebhook = Schema.Struct({
  status: Schema.Literal("active"),
  tenantId: TenantId,
  webhookId: WebhookId,
  provider: WebhookProvider,
  refreshApi: Schema.Boolean,
  refreshAssets: Schema.Boolean,
  secretHash: Schema.String,
  createdAt: Instant,
  updatedAt: Instant
})
export type ActiveWebhook = typeof ActiveWebhook.Type

export const WebhookState = Schema.Union([
  Schema.Struct({ status: Schema.Literal("absent") }),
  ActiveWebhook,
  Schema.Struct({ status: Schema.Literal("deleted"), tenantId: TenantId, webhookId: WebhookId })
])
export type WebhookState = typeof WebhookState.Type

export const webhookStateVersion = 1

export const initialState: WebhookState = { status: "absent" }

/** Total: an event that cannot apply to the state leaves it as it is. */
export const evolve = (state: WebhookState, event: WebhookEvent): WebhookState => {
  switch (event._tag) {
    case "CacheRefreshWebhookCreated": {
      const { _tag, at, ...fields } = event
      return state.status === "absent" ? { status: "active", ...fields, createdAt: at, updatedAt: at } : state
    }
    case "CacheRefreshWebhookRegenerated":
      return state.status === "active"
        ? { ...state, secretHash: event.secretHash, updatedAt: event.at }
        : state
    case "CacheRefreshWebhookDeleted":
      return state.status === "active"
        ? { status: "deleted", tenantId: state.tenantId, webhookId: state.webhookId }
        : state
  }
}
