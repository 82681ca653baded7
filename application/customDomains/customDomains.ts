import { Clock, Effect, Result, Schema } from "effect"
import {
  CustomDomainNotFound,
  customDomainStream,
  DomainId,
  isLive,
  parseCustomHostname
} from "../../domain/customDomain/index.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { tenantStream } from "../../domain/tenant/index.ts"
import { customDomainAggregate, tenantAggregate } from "../aggregates.ts"
import type { TenantAccess } from "../auth/policies.ts"
import { Config } from "../config.ts"
import { InvalidInput, type RequestContext } from "../context.ts"
import { CustomDomainReadModel, type DomainRow } from "../ports/CustomDomainReadModel.ts"
import { Ids } from "../ports/Ids.ts"
import { runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"
import { checkDomain, domainSettingsOf, rescheduleAfter } from "./checkDomain.ts"
import { domainRecord } from "./records.ts"
import { VerifyLimits } from "./verifyLimits.ts"

/** A custom domain beyond the plan's `maxDomains`. */
export class DomainPlanLimitReached extends Schema.TaggedError<DomainPlanLimitReached>()(
  "DomainPlanLimitReached",
  { plan: Schema.String, maxDomains: Schema.Number }
) {
  readonly code = "domain_plan_limit"
}

/** The hostname from a request under the four rules, or `400 validation_failed` with `errors.hostname`. */
export const hostnameOf = (raw: string) =>
  Effect.gen(function* () {
    const config = yield* Config
    let publicHost = ""
    try {
      publicHost = new URL(config.publicBaseUrl).hostname.toLowerCase()
    } catch {
      publicHost = ""
    }
    const parsed = parseCustomHostname(raw, { proxyBaseDomain: config.proxyBaseDomain, publicHost })
    if (Result.isFailure(parsed))
      return yield* new InvalidInput({
        message: "The hostname is invalid",
        errors: { hostname: [parsed.failure] }
      })
    return parsed.success
  })

const recordOf = (row: DomainRow, access: TenantAccess) =>
  Effect.map(Config, (config) =>
    domainRecord(row, access.tenant.slug, {
      proxyBaseDomain: config.proxyBaseDomain,
      domains: domainSettingsOf(config)
    })
  )

/** The tenant's own live domain with this hostname, or 404. */
const ownRow = (access: TenantAccess, hostname: string) =>
  Effect.gen(function* () {
    const row = yield* (yield* CustomDomainReadModel).byHostname(hostname)
    if (row === undefined || row.tenantId !== access.tenant.tenantId || row.status === "released")
      return yield* new CustomDomainNotFound({ hostname })
    return row
  })

export const listCustomDomains = tenantUseCase("listCustomDomains", "viewer", (_context, access) =>
  Effect.gen(function* () {
    const rows = yield* (yield* CustomDomainReadModel).listForTenant(access.tenant.tenantId)
    return { domains: yield* Effect.forEach(rows, (row) => recordOf(row, access)) }
  })
)

/** `maxDomains` of the plan users are on (DEFAULT_PLAN, as for `maxTenants`); absent: unlimited. */
const maxDomains = Effect.map(Config, (config) => ({
  plan: config.defaultPlan,
  max: config.plans[config.defaultPlan]?.maxDomains
}))

export const addCustomDomain = tenantUseCase(
  "addCustomDomain",
  "editor",
  (context, access, input: { readonly hostname: string }) =>
    Effect.gen(function* () {
      const hostname = yield* hostnameOf(input.hostname)
      const readModel = yield* CustomDomainReadModel
      const tenantId = access.tenant.tenantId as TenantId
      const limit = yield* maxDomains
      if (limit.max !== undefined && (yield* readModel.countForTenant(tenantId)) >= limit.max)
        return yield* new DomainPlanLimitReached({ plan: limit.plan, maxDomains: limit.max })
      const ids = yield* Ids
      const domainId = DomainId.make(yield* ids.make("dom"))
      const token = (yield* ids.make("v")).slice(2)
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      yield* runCommand(
        customDomainAggregate,
        { streamId: customDomainStream(hostname), tenantId },
        context,
        (state, read) =>
          Effect.gen(function* () {
            const tenant = yield* read.read(tenantAggregate, tenantStream(tenantId))
            // Whoever holds it now: its tenant's stream is read too (and guards the append),
            // so a hostname is free again exactly when its holder is deleted.
            const holderLive =
              isLive(state) && state.tenantId !== tenantId
                ? (yield* read.read(tenantAggregate, tenantStream(state.tenantId))).status === "active"
                : isLive(state)
            return {
              _tag: "AddCustomDomain" as const,
              tenantId,
              tenantLive: tenant.status === "active",
              holderLive,
              domainId,
              hostname,
              token,
              at
            }
          })
      )
      return yield* recordOf(yield* ownRow(access, hostname), access)
    })
)

/** A DNS check now: a verify call (rate-limited per domain), or the scheduler's (as the system). */
const verify = (context: RequestContext, access: TenantAccess, rawHostname: string) =>
  Effect.gen(function* () {
    const manual = context.principal._tag === "User"
    const hostname = yield* hostnameOf(rawHostname)
    const row = yield* ownRow(access, hostname)
    if (manual) yield* (yield* VerifyLimits).take(hostname)
    const outcome = yield* checkDomain(context, access.tenant, row, manual)
    if (manual) yield* rescheduleAfter(hostname, outcome)
    const after = yield* ownRow(access, hostname)
    const { ownership, routing } = outcome.evaluation
    return {
      domain: yield* recordOf(after, access),
      checks: {
        ownership: { ok: ownership.ok, expected: ownership.expected, found: ownership.found },
        routing: { ok: routing.ok, expected: routing.expected, found: routing.found }
      },
      outcome
    }
  })

export const verifyCustomDomain = tenantUseCase(
  "verifyCustomDomain",
  "editor",
  (context, access, input: { readonly hostname: string }) =>
    Effect.map(verify(context, access, input.hostname), ({ domain, checks }) => ({ domain, checks }))
)

/** The scheduler's re-check of one domain, as Tenantry itself (actor `system` in the audit history). */
export const recheckCustomDomain = tenantUseCase(
  "recheckCustomDomain",
  "editor",
  (context, access, hostname: string) => verify(context, access, hostname),
  { allowSystem: true }
)

export const removeCustomDomain = tenantUseCase(
  "removeCustomDomain",
  "editor",
  (context, access, input: { readonly hostname: string }) =>
    Effect.gen(function* () {
      const hostname = yield* hostnameOf(input.hostname)
      const tenantId = access.tenant.tenantId as TenantId
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      yield* runCommand(
        customDomainAggregate,
        { streamId: customDomainStream(hostname), tenantId },
        context,
        () => Effect.succeed({ _tag: "RemoveCustomDomain" as const, tenantId, hostname, at })
      )
      return { ok: true as const }
    })
)
