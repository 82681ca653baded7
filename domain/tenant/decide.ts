import { Result } from "effect"
import { absurd } from "../shared/decider.ts"
import { sameJson } from "../shared/sameJson.ts"
import type {
  CreateTenant,
  DeleteTenant,
  GenerateWebhookSecret,
  RotateWebhookSecret,
  SaveApiConfig,
  SaveApiToken,
  TenantCommand,
  UpdateTenantConfig
} from "./commands.ts"
import { TenantAlreadyExists, type TenantError, TenantNotFound } from "./errors.ts"
import type { TenantEvent } from "./events.ts"
import type { ActiveTenant, TenantState } from "./state.ts"

type Decision = Result.Result<ReadonlyArray<TenantEvent>, TenantError>

const active = (state: TenantState): Result.Result<ActiveTenant, TenantNotFound> =>
  state.status === "active" ? Result.succeed(state) : Result.fail(new TenantNotFound())

const createTenant = (command: typeof CreateTenant.Type, state: TenantState): Decision => {
  if (state.status !== "absent") return Result.fail(new TenantAlreadyExists())
  const { _tag, ...fields } = command
  return Result.succeed([{ _tag: "TenantCreated", ...fields }])
}

const configKeys = ["cms", "cacheTTL", "websiteDomain", "siteProxy"] as const

const updateTenantConfig = (command: typeof UpdateTenantConfig.Type, state: TenantState): Decision =>
  Result.map(active(state), (tenant) => {
    // Only what really changes is recorded, so the audit history says what happened.
    const changes = Object.fromEntries(
      configKeys
        .filter((key) => Object.hasOwn(command.changes, key) && command.changes[key] !== undefined)
        .filter((key) => !sameJson(tenant[key], command.changes[key]))
        .map((key) => [key, command.changes[key]])
    )
    return Object.keys(changes).length === 0 ? [] : [{ _tag: "TenantConfigUpdated", changes, at: command.at }]
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
    tenant.webhookSecret !== null
      ? []
      : [{ _tag: "WebhookSecretGenerated", sealedSecret: command.sealedSecret, at: command.at }]
  )

const rotateWebhookSecret = (command: typeof RotateWebhookSecret.Type, state: TenantState): Decision =>
  Result.map(active(state), () => [
    { _tag: "WebhookSecretRotated", sealedSecret: command.sealedSecret, at: command.at }
  ])

export const decide = (command: TenantCommand, state: TenantState): Decision => {
  switch (command._tag) {
    case "CreateTenant":
      return createTenant(command, state)
    case "UpdateTenantConfig":
      return updateTenantConfig(command, state)
    case "SaveApiConfig":
      return saveApiConfig(command, state)
    case "SaveApiToken":
      return saveApiToken(command, state)
    case "DeleteTenant":
      return deleteTenant(command, state)
    case "GenerateWebhookSecret":
      return generateWebhookSecret(command, state)
    case "RotateWebhookSecret":
      return rotateWebhookSecret(command, state)
    default:
      return absurd(command)
  }
}
