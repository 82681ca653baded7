import { Result } from "effect"
import { absurd } from "../shared/decider.ts"
import { sameJson } from "../shared/sameJson.ts"
import type {
  BumpCacheVersions,
  BumpCacheVersionsForWebhook,
  CreateCacheRefreshWebhook,
  CreateTenant,
  DeleteCacheRefreshWebhook,
  DeleteTenant,
  GenerateWebhookSecret,
  RegenerateCacheRefreshWebhook,
  RotateWebhookSecret,
  SaveApiConfig,
  SaveApiToken,
  TenantCommand,
  UpdateTenantConfig
} from "./commands.ts"
import { TenantAlreadyExists, type TenantError, TenantNotFound, WebhookNotFound } from "./errors.ts"
import type { CacheTarget, CacheVersions, TenantEvent } from "./events.ts"
import {
  acceptInvite,
  changeMemberRole,
  constantTimeEqual,
  inviteMember,
  removeMember,
  revokeInvite
} from "./members.ts"
import type { ActiveTenant, TenantState } from "./state.ts"

type Decision = Result.Result<ReadonlyArray<TenantEvent>, TenantError>

const active = (state: TenantState): Result.Result<ActiveTenant, TenantNotFound> =>
  state.status === "active" ? Result.succeed(state) : Result.fail(new TenantNotFound())

const createTenant = (command: typeof CreateTenant.Type, state: TenantState): Decision => {
  if (state.status !== "absent") return Result.fail(new TenantAlreadyExists())
  const { _tag, ...fields } = command
  return Result.succeed([{ _tag: "TenantCreated", ...fields }])
}

const updateTenantConfig = (command: typeof UpdateTenantConfig.Type, state: TenantState): Decision =>
  Result.map(active(state), (tenant) => {
    // Only what really changes is recorded, so the audit history says what happened.
    const changes = Object.fromEntries(
      Object.entries(command.changes).filter(
        ([key, value]) => !sameJson(tenant[key as keyof ActiveTenant], value)
      )
    )
    return Object.keys(changes).length === 0 ? [] : [{ _tag: "TenantConfigUpdated", changes, at: command.at }]
  })

export const bumped = (versions: CacheVersions, target: CacheTarget): CacheVersions => ({
  apiCacheVersion: versions.apiCacheVersion + (target === "api" || target === "all" ? 1 : 0),
  assetCacheVersion: versions.assetCacheVersion + (target === "assets" || target === "all" ? 1 : 0),
  htmlCacheVersion: versions.htmlCacheVersion + (target === "html" || target === "all" ? 1 : 0)
})

const bumpCacheVersions = (command: typeof BumpCacheVersions.Type, state: TenantState): Decision =>
  Result.map(active(state), (tenant) => [
    {
      _tag: "CacheVersionsBumped",
      target: command.target,
      versions: bumped(tenant.versions, command.target),
      at: command.at
    }
  ])

/** Unknown, deleted or another secret: one refusal, as the receiver answers one 404. */
const bumpCacheVersionsForWebhook = (
  command: typeof BumpCacheVersionsForWebhook.Type,
  state: TenantState
): Decision =>
  Result.flatMap(active(state), (tenant) => {
    const webhook = tenant.cacheRefreshWebhooks?.[command.webhookId]
    const opens = constantTimeEqual(webhook?.secretHash ?? "", command.secretHash) && webhook !== undefined
    return opens
      ? bumpCacheVersions({ _tag: "BumpCacheVersions", target: command.target, at: command.at }, tenant)
      : Result.fail(new WebhookNotFound({ webhookId: command.webhookId }))
  })

const saveApiConfig = (command: typeof SaveApiConfig.Type, state: TenantState): Decision =>
  Result.map(active(state), () => [{ _tag: "ApiConfigSaved", apiConfig: command.apiConfig, at: command.at }])

const saveApiToken = (command: typeof SaveApiToken.Type, state: TenantState): Decision =>
  Result.map(active(state), () => [
    { _tag: "ApiTokenSaved", sealedToken: command.sealedToken, at: command.at }
  ])

const deleteTenant = (command: typeof DeleteTenant.Type, state: TenantState): Decision =>
  Result.map(active(state), (tenant) => [{ _tag: "TenantDeleted", slug: tenant.slug, at: command.at }])

/** Idempotent: a tenant that has a secret keeps it (the caller is shown that one). */
const generateWebhookSecret = (command: typeof GenerateWebhookSecret.Type, state: TenantState): Decision =>
  Result.map(active(state), (tenant) =>
    tenant.webhookSecret !== undefined
      ? []
      : [{ _tag: "WebhookSecretGenerated", sealedSecret: command.sealedSecret, at: command.at }]
  )

const rotateWebhookSecret = (command: typeof RotateWebhookSecret.Type, state: TenantState): Decision =>
  Result.map(active(state), () => [
    { _tag: "WebhookSecretRotated", sealedSecret: command.sealedSecret, at: command.at }
  ])

const createCacheRefreshWebhook = (
  command: typeof CreateCacheRefreshWebhook.Type,
  state: TenantState
): Decision =>
  Result.flatMap(active(state), (tenant) => {
    // Ids are random; a clash would overwrite another webhook, so it is refused instead.
    if (tenant.cacheRefreshWebhooks?.[command.webhookId] !== undefined) {
      return Result.fail(new TenantAlreadyExists())
    }
    const { _tag, ...fields } = command
    return Result.succeed([{ _tag: "CacheRefreshWebhookCreated", ...fields }])
  })

const existingWebhook = (state: TenantState, webhookId: string) =>
  Result.flatMap(active(state), (tenant) =>
    tenant.cacheRefreshWebhooks?.[webhookId] === undefined
      ? Result.fail(new WebhookNotFound({ webhookId }))
      : Result.succeed(tenant)
  )

const regenerateCacheRefreshWebhook = (
  command: typeof RegenerateCacheRefreshWebhook.Type,
  state: TenantState
): Decision =>
  Result.map(existingWebhook(state, command.webhookId), () => [
    {
      _tag: "CacheRefreshWebhookRegenerated",
      webhookId: command.webhookId,
      secretHash: command.secretHash,
      at: command.at
    }
  ])

const deleteCacheRefreshWebhook = (
  command: typeof DeleteCacheRefreshWebhook.Type,
  state: TenantState
): Decision =>
  Result.map(existingWebhook(state, command.webhookId), () => [
    { _tag: "CacheRefreshWebhookDeleted", webhookId: command.webhookId, at: command.at }
  ])

export const decide = (command: TenantCommand, state: TenantState): Decision => {
  switch (command._tag) {
    case "CreateTenant":
      return createTenant(command, state)
    case "UpdateTenantConfig":
      return updateTenantConfig(command, state)
    case "BumpCacheVersions":
      return bumpCacheVersions(command, state)
    case "SaveApiConfig":
      return saveApiConfig(command, state)
    case "SaveApiToken":
      return saveApiToken(command, state)
    case "DeleteTenant":
      return deleteTenant(command, state)
    case "InviteMember":
      return Result.flatMap(active(state), (tenant) => inviteMember(command, tenant))
    case "RevokeInvite":
      return Result.flatMap(active(state), (tenant) => revokeInvite(command, tenant))
    case "AcceptInvite":
      return Result.flatMap(active(state), (tenant) => acceptInvite(command, tenant))
    case "ChangeMemberRole":
      return Result.flatMap(active(state), (tenant) => changeMemberRole(command, tenant))
    case "RemoveMember":
      return Result.flatMap(active(state), (tenant) => removeMember(command, tenant))
    case "GenerateWebhookSecret":
      return generateWebhookSecret(command, state)
    case "RotateWebhookSecret":
      return rotateWebhookSecret(command, state)
    case "CreateCacheRefreshWebhook":
      return createCacheRefreshWebhook(command, state)
    case "RegenerateCacheRefreshWebhook":
      return regenerateCacheRefreshWebhook(command, state)
    case "DeleteCacheRefreshWebhook":
      return deleteCacheRefreshWebhook(command, state)
    case "BumpCacheVersionsForWebhook":
      return bumpCacheVersionsForWebhook(command, state)
    default:
      return absurd(command)
  }
}
