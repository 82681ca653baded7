import { Effect, Schema } from "effect"
import { TenantNotFound } from "../../domain/tenant/errors.ts"
import {
  CmsConfig,
  type CmsProvider,
  cmsFieldNames,
  type TenantConfigChanges,
  tenantStream
} from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { InvalidInput, now } from "../context.ts"
import { withDomainsOne } from "../customDomains/summary.ts"
import { formatIssues } from "../formatIssues.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"

/** A partial update as clients send it: provider fields flat beside `cms`. */
export interface TenantPatch {
  readonly slug?: string | undefined
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
    cmsFieldNames.filter((name) => Object.hasOwn(patch, name)).map((name) => [name, patch[name]])
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

/** Partial update; the slug cannot change (sending the current one is allowed). Answers the tenant after it. */
export const updateTenant = tenantUseCase("updateTenant", "editor", (context, access, patch: TenantPatch) =>
  Effect.gen(function* () {
    const { tenantId, slug } = access.tenant
    if (patch.slug !== undefined && patch.slug !== slug) {
      return yield* new InvalidInput({
        message: "The slug cannot change",
        errors: { slug: ["cannot change; create a new tenant instead"] }
      })
    }
    const at = yield* now
    yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, (state) =>
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
    // The inline read model already holds the write: read your own writes.
    const view = yield* (yield* TenantReadModel).byId(tenantId)
    return view === undefined ? yield* new TenantNotFound() : yield* withDomainsOne(view)
  })
)
