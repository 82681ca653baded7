import { Effect, Schema } from "effect"
import { ApiConfig, tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { InvalidInput, now } from "../context.ts"
import { formatIssues } from "../formatIssues.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"
import { orTenantGone } from "./tenantGone.ts"

/** The API configuration as clients send it: the defaults are filled in here. */
export type ApiConfigInput = Omit<ApiConfig, "apiCacheTTL" | "cacheEnabled" | "previewEnabled"> &
  Partial<Pick<ApiConfig, "apiCacheTTL" | "cacheEnabled" | "previewEnabled">>

const decodeApiConfig = Schema.decodeUnknownResult(ApiConfig)

/**
 * Replaces the API proxy configuration (`apiCacheTTL` 60, `cacheEnabled` true and
 * `previewEnabled` false unless given) and answers it; the token is saved separately and
 * never here.
 */
export const saveApiConfig = tenantUseCase(
  "saveApiConfig",
  "editor",
  (context, access, input: ApiConfigInput) =>
    Effect.gen(function* () {
      const withDefaults = { apiCacheTTL: 60, cacheEnabled: true, previewEnabled: false, ...input }
      const decoded = decodeApiConfig(withDefaults, { errors: "all", onExcessProperty: "error" })
      if (decoded._tag === "Failure") {
        return yield* new InvalidInput({
          message: "The API configuration is invalid",
          errors: formatIssues(decoded.failure, withDefaults)
        })
      }
      const apiConfig = decoded.success
      const { tenantId } = access.tenant
      const at = yield* now
      yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, () =>
        Effect.succeed({ _tag: "SaveApiConfig" as const, apiConfig, at })
      )
      return apiConfig
    })
)

/**
 * Write-only: the token is sealed under the tenant's data key before it reaches the
 * event, so the log holds only ciphertext that dies with the tenant.
 */
export const saveApiToken = tenantUseCase("saveApiToken", "editor", (context, access, token: string) =>
  Effect.gen(function* () {
    const { tenantId } = access.tenant
    const box = yield* SecretBox
    const sealedToken = yield* orTenantGone(box.seal(tenantId, token))
    const at = yield* now
    yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, () =>
      Effect.succeed({ _tag: "SaveApiToken" as const, sealedToken, at })
    )
    return { updatedAt: at }
  })
)
