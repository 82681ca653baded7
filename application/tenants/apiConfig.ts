import { Effect } from "effect"
import type { ApiConfig } from "../../domain/tenant/index.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { now, type RequestContext } from "./context.ts"
import { runTenantCommand } from "./runTenantCommand.ts"

/** Replaces the API proxy configuration; the token is saved separately and never here. */
export const saveApiConfig = Effect.fn("saveApiConfig")(function* (
  context: RequestContext,
  tenantId: string,
  apiConfig: ApiConfig
) {
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "SaveApiConfig" as const, apiConfig, at })
  )
  return apiConfig
})

/**
 * Write-only: the token is sealed under the tenant's data key before it reaches the
 * event, so the log holds only ciphertext that dies with the tenant.
 */
export const saveApiToken = Effect.fn("saveApiToken")(function* (
  context: RequestContext,
  tenantId: string,
  token: string
) {
  const box = yield* SecretBox
  const sealedToken = yield* box.seal(tenantId, token).pipe(Effect.orDie)
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "SaveApiToken" as const, sealedToken, at })
  )
  return { updatedAt: at }
})
