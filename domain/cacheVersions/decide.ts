import { Result } from "effect"
import { constantTimeEqual } from "../shared/constantTime.ts"
import { absurd } from "../shared/decider.ts"
import { TenantNotFound } from "../tenant/errors.ts"
import { WebhookNotFound } from "../webhook/errors.ts"
import type { BumpCacheVersions, BumpCacheVersionsForWebhook, CacheVersionsCommand } from "./commands.ts"
import type { CacheTarget, CacheVersions, CacheVersionsEvent } from "./events.ts"
import type { CacheVersionsState } from "./state.ts"

export type CacheVersionsError = TenantNotFound | WebhookNotFound

type Decision = Result.Result<ReadonlyArray<CacheVersionsEvent>, CacheVersionsError>

/** Each chosen version goes up by exactly one. */
export const bumped = (versions: CacheVersions, target: CacheTarget): CacheVersions => ({
  apiCacheVersion: versions.apiCacheVersion + (target === "api" || target === "all" ? 1 : 0),
  assetCacheVersion: versions.assetCacheVersion + (target === "assets" || target === "all" ? 1 : 0),
  htmlCacheVersion: versions.htmlCacheVersion + (target === "html" || target === "all" ? 1 : 0)
})

const bump = (command: typeof BumpCacheVersions.Type, state: CacheVersionsState): Decision =>
  command.tenantLive
    ? Result.succeed([
        {
          _tag: "CacheVersionsBumped",
          target: command.target,
          versions: bumped(state.versions, command.target),
          at: command.at
        }
      ])
    : Result.fail(new TenantNotFound())

/** Unknown, deleted, another tenant's, or another secret: one refusal, as the receiver answers one 404. */
const bumpForWebhook = (
  command: typeof BumpCacheVersionsForWebhook.Type,
  state: CacheVersionsState
): Decision => {
  const opens =
    constantTimeEqual(command.webhook?.secretHash ?? "", command.presentedSecretHash) &&
    command.webhook !== null
  if (!opens || !command.tenantLive) return Result.fail(new WebhookNotFound({ webhookId: command.webhookId }))
  return bump({ _tag: "BumpCacheVersions", target: command.target, tenantLive: true, at: command.at }, state)
}

export const decide = (command: CacheVersionsCommand, state: CacheVersionsState): Decision => {
  switch (command._tag) {
    case "BumpCacheVersions":
      return bump(command, state)
    case "BumpCacheVersionsForWebhook":
      return bumpForWebhook(command, state)
    default:
      return absurd(command)
  }
}
