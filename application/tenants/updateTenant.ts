import { Effect, Schema } from "effect"
import {
  CmsConfig,
  type CmsProvider,
  cmsFieldNames,
  type TenantConfigChanges
} from "../../domain/tenant/index.ts"
import { formatIssues } from "../formatIssues.ts"
import { InvalidInput, now, type RequestContext } from "./context.ts"
import { runTenantCommand } from "./runTenantCommand.ts"

/** A partial update as clients send it: provider fields flat beside `cms`. */
export interface TenantPatch {
  readonly cms?: CmsProvider | undefined
  readonly cacheTTL?: number | undefined
  readonly websiteDomain?: string | null | undefined
  readonly siteProxy?: boolean | undefined
  readonly [providerField: string]: unknown
}

const decodeCms = Schema.decodeUnknownResult(CmsConfig)

/**
 * Merges provider fields into the current CMS configuration (or starts a new one when
 * `cms` names another provider) and checks the result as a whole.
 */
const mergeCms = (current: CmsConfig, patch: TenantPatch) => {
  const fields = Object.fromEntries(
    cmsFieldNames.filter((name) => name in patch).map((name) => [name, patch[name]])
  )
  if (patch.cms === undefined && Object.keys(fields).length === 0) return Effect.succeed(undefined)
  const merged =
    patch.cms !== undefined && patch.cms !== current.cms
      ? { cms: patch.cms, ...fields }
      : { ...current, ...fields }
  const result = decodeCms(merged, { onExcessProperty: "error" })
  return result._tag === "Success"
    ? Effect.succeed(result.success)
    : Effect.fail(
        new InvalidInput({
          message: `The ${String(merged.cms)} configuration is incomplete or invalid`,
          errors: formatIssues(result.failure, merged)
        })
      )
}

export const updateTenant = Effect.fn("updateTenant")(function* (
  context: RequestContext,
  tenantId: string,
  patch: TenantPatch
) {
  const at = yield* now
  return yield* runTenantCommand(context, tenantId, (state) =>
    Effect.gen(function* () {
      const changes: { -readonly [K in keyof TenantConfigChanges]: TenantConfigChanges[K] } = {}
      if (state.status === "active") {
        const cms = yield* mergeCms(state.cms, patch)
        if (cms !== undefined) changes.cms = cms
      }
      if (patch.cacheTTL !== undefined) changes.cacheTTL = patch.cacheTTL
      if (patch.websiteDomain !== undefined) changes.websiteDomain = patch.websiteDomain
      if (patch.siteProxy !== undefined) changes.siteProxy = patch.siteProxy
      return { _tag: "UpdateTenantConfig" as const, changes, at }
    })
  )
})
