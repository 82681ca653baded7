import { Clock, Effect } from "effect"
import { isLive } from "../../domain/customDomain/index.ts"
import { Principal } from "../auth/principal.ts"
import { Config } from "../config.ts"
import { CustomDomainReadModel } from "../ports/CustomDomainReadModel.ts"
import type { DueItem } from "../ports/ScheduleStore.ts"
import { domainCheckJob } from "../ports/ScheduleStore.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { ScheduledJob } from "../schedulers/runScheduler.ts"
import { domainSettingsOf, nextCheck } from "./checkDomain.ts"
import { recheckCustomDomain } from "./customDomains.ts"

export type DomainCheckRequirements = Effect.Services<ReturnType<typeof recheckCustomDomain>> | Config

/**
 * The background re-check of custom domains (one key per hostname): pending and
 * misconfigured ones on the backoff of `DOMAIN_CHECK_SCHEDULE`, active ones every
 * `DOMAIN_ACTIVE_RECHECK_SECONDS` (so a domain whose DNS moved away becomes misconfigured and
 * stops being routed), expired ones never. It runs the same check as a verify call, as
 * Tenantry itself (actor `system`), and a domain gone or whose tenant is gone is dropped.
 */
export const domainCheck: ScheduledJob<DomainCheckRequirements> = {
  name: domainCheckJob,
  run: (item: DueItem) =>
    Effect.gen(function* () {
      const row = yield* (yield* CustomDomainReadModel).byHostname(item.key)
      if (row === undefined || row.status === "released" || row.status === "expired") return undefined
      const tenant = yield* (yield* TenantReadModel).byId(row.tenantId)
      if (tenant === undefined) return undefined
      const context = {
        principal: Principal.system(domainCheckJob),
        requestId: `${domainCheckJob}:${item.key}:${item.claim}`
      }
      const checked = yield* recheckCustomDomain(context, tenant.slug, item.key).pipe(
        Effect.map((result) => result.outcome),
        // The domain was removed, or its tenant deleted, meanwhile: nothing more to check.
        Effect.catchTags({
          CustomDomainNotFound: () => Effect.succeed(undefined),
          TenantNotFound: () => Effect.succeed(undefined)
        })
      )
      if (checked === undefined) return undefined
      const config = yield* Config
      return nextCheck(isLive(checked.state) ? checked.state.status : "gone", {
        now: yield* Clock.currentTimeMillis,
        attempt: item.attempt,
        changed: checked.changed,
        routingMisses: checked.routingMisses,
        settings: domainSettingsOf(config)
      })
    }).pipe(
      // Refusals other than "gone" (a conflict that kept colliding, a rule) are retried later.
      Effect.catch((error) =>
        Effect.gen(function* () {
          yield* Effect.logWarning(`domain check of ${item.key} refused; retrying later`, error)
          return { dueAt: (yield* Clock.currentTimeMillis) + 60_000, attempt: item.attempt }
        })
      )
    )
}
