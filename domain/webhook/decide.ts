import { Result } from "effect"
import { absurd } from "../shared/decider.ts"
import { TenantNotFound } from "../tenant/errors.ts"
import type {
  CreateCacheRefreshWebhook,
  DeleteCacheRefreshWebhook,
  RegenerateCacheRefreshWebhook,
  WebhookCommand
} from "./commands.ts"
import { WebhookAlreadyExists, WebhookNotFound } from "./errors.ts"
import type { WebhookEvent } from "./events.ts"
import type { ActiveWebhook, WebhookState } from "./state.ts"

export type WebhookError = WebhookNotFound | WebhookAlreadyExists | TenantNotFound

type Decision = Result.Result<ReadonlyArray<WebhookEvent>, WebhookError>

const create = (command: typeof CreateCacheRefreshWebhook.Type, state: WebhookState): Decision => {
  if (!command.tenantLive) return Result.fail(new TenantNotFound())
  if (state.status !== "absent") return Result.fail(new WebhookAlreadyExists())
  const { _tag, tenantLive, ...fields } = command
  return Result.succeed([{ _tag: "CacheRefreshWebhookCreated", ...fields }])
}

/** The caller's tenant's live webhook, the one the command names; anything else is one "not found". */
const ownLive = (state: WebhookState, command: { readonly tenantId: string; readonly webhookId: string }) =>
  state.status === "active" && state.tenantId === command.tenantId && state.webhookId === command.webhookId
    ? (state as ActiveWebhook)
    : undefined

const regenerate = (command: typeof RegenerateCacheRefreshWebhook.Type, state: WebhookState): Decision => {
  const webhook = ownLive(state, command)
  if (webhook === undefined) return Result.fail(new WebhookNotFound({ webhookId: command.webhookId }))
  return Result.succeed([
    {
      _tag: "CacheRefreshWebhookRegenerated",
      tenantId: webhook.tenantId,
      webhookId: webhook.webhookId,
      secretHash: command.secretHash,
      at: command.at
    }
  ])
}

const remove = (command: typeof DeleteCacheRefreshWebhook.Type, state: WebhookState): Decision => {
  const webhook = ownLive(state, command)
  if (webhook === undefined) return Result.fail(new WebhookNotFound({ webhookId: command.webhookId }))
  return Result.succeed([
    {
      _tag: "CacheRefreshWebhookDeleted",
      tenantId: webhook.tenantId,
      webhookId: webhook.webhookId,
      at: command.at
    }
  ])
}

export const decide = (command: WebhookCommand, state: WebhookState): Decision => {
  switch (command._tag) {
    case "CreateCacheRefreshWebhook":
      return create(command, state)
    case "RegenerateCacheRefreshWebhook":
      return regenerate(command, state)
    case "DeleteCacheRefreshWebhook":
      return remove(command, state)
    default:
      return absurd(command)
  }
}
