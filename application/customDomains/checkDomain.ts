import { Clock, Effect } from "effect"
import {
  type CustomDomainState,
  caaNames,
  customDomainStream,
  type Evaluation,
  evaluate,
  isLive,
  type Observations,
  ownershipName
} from "../../domain/customDomain/index.ts"
import type { DnsAnswer } from "../../domain/shared/dns.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { customDomainAggregate } from "../aggregates.ts"
import { Config, type DomainSettings, defaultDomainSettings } from "../config.ts"
import type { RequestContext } from "../context.ts"
import { CustomDomainReadModel, type DomainRow } from "../ports/CustomDomainReadModel.ts"
import { Dns } from "../ports/Dns.ts"
import { domainCheckJob, type NextRun, ScheduleStore } from "../ports/ScheduleStore.ts"
import { runCommand } from "../runCommand.ts"
import { routingTarget } from "./records.ts"

export const domainSettingsOf = (config: { readonly domains?: DomainSettings | undefined }) =>
  config.domains ?? defaultDomainSettings

/** The closest CAA record set, walking up from the hostname (RFC 8659); lookups stop at the first answer with records. */
const closestCaa = (dns: typeof Dns.Service, hostname: string) =>
  Effect.gen(function* () {
    for (const name of caaNames(hostname)) {
      const answer = yield* dns.lookup(name, "CAA")
      if (answer._tag === "Found") return { name, answer }
      if (answer._tag === "Unanswered") return undefined
    }
    return undefined
  })

/** Asks DNS everything a check needs, at once (each lookup bounded by the port's timeout). */
export const observe = (hostname: string, settings: DomainSettings) =>
  Effect.gen(function* () {
    const dns = yield* Dns
    const withIps = settings.edgeIps.length > 0
    const none = Effect.succeed<DnsAnswer | undefined>(undefined)
    const [txt, cname, a, aaaa, caa] = yield* Effect.all(
      [
        dns.lookup(ownershipName(hostname), "TXT"),
        dns.lookup(hostname, "CNAME"),
        withIps ? dns.lookup(hostname, "A") : none,
        withIps ? dns.lookup(hostname, "AAAA") : none,
        closestCaa(dns, hostname)
      ],
      { concurrency: "unbounded" }
    )
    return { txt, cname, a, aaaa, caa } satisfies Observations
  })

/**
 * When a domain is checked next, after a check that left it `status`:
 * - pending or misconfigured: the backoff of `DOMAIN_CHECK_SCHEDULE` (its step `attempt`,
 *   the last repeating), from its first step again after a transition;
 * - active: `DOMAIN_ACTIVE_RECHECK_SECONDS`, or the first backoff step after a routing miss
 *   (the second miss in a row decides);
 * - expired (or gone): never; a verify call starts it again.
 */
export const nextCheck = (
  status: string,
  options: {
    readonly now: number
    readonly attempt: number
    readonly changed: boolean
    readonly routingMisses: number
    readonly settings: DomainSettings
  }
): NextRun | undefined => {
  const steps = options.settings.checkScheduleSeconds
  const step = (attempt: number) => steps[Math.min(attempt, steps.length - 1)]! * 1000
  switch (status) {
    case "pending":
    case "misconfigured": {
      const attempt = options.changed ? 0 : options.attempt
      return { dueAt: options.now + step(attempt), attempt: attempt + 1 }
    }
    case "active":
      return options.routingMisses > 0
        ? { dueAt: options.now + step(0), attempt: 1 }
        : { dueAt: options.now + options.settings.activeRecheckSeconds * 1000, attempt: 0 }
    default:
      return undefined
  }
}

export interface CheckOutcome {
  readonly evaluation: Evaluation
  /** The stream's state after the check. */
  readonly state: CustomDomainState
  readonly changed: boolean
  readonly routingMisses: number
}

/**
 * One check of a domain the tenant holds (`row`): ask DNS, decide (only transitions are
 * events; the command handler refuses it if the domain moved on meanwhile), then keep what
 * it found on the row. The caller schedules the next check.
 */
export const checkDomain = (
  context: RequestContext,
  tenant: { readonly tenantId: string; readonly slug: string },
  row: DomainRow,
  manual: boolean
) =>
  Effect.gen(function* () {
    const config = yield* Config
    const settings = domainSettingsOf(config)
    const readModel = yield* CustomDomainReadModel
    const observations = yield* observe(row.hostname, settings)
    const evaluation = evaluate(observations, {
      hostname: row.hostname,
      token: row.token,
      routingTarget: routingTarget(tenant.slug, config.proxyBaseDomain),
      edgeIps: settings.edgeIps,
      acmeCaDomain: settings.acmeCaDomain
    })
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    const handled = yield* runCommand(
      customDomainAggregate,
      { streamId: customDomainStream(row.hostname), tenantId: tenant.tenantId },
      context,
      () =>
        Effect.succeed({
          _tag: "CheckCustomDomain" as const,
          tenantId: tenant.tenantId as TenantId,
          hostname: row.hostname,
          ownership: evaluation.ownership.state,
          routing: evaluation.routing.state,
          reasons: evaluation.reasons,
          routingMisses: row.routingMisses,
          manual,
          pendingTtlHours: settings.pendingTtlHours,
          at
        })
    )
    const state = handled.state
    const status = isLive(state) ? state.status : undefined
    const routingMisses =
      evaluation.routing.state === "wrong"
        ? status === "active"
          ? row.routingMisses + 1
          : 0
        : evaluation.routing.state === "ok"
          ? 0
          : row.routingMisses
    yield* readModel.recordCheck(row.hostname, row.domainId, {
      reasons: status === "active" ? [] : evaluation.reasons,
      routingMisses,
      checkedAt: at
    })
    return {
      evaluation,
      state,
      changed: handled.events.length > 0,
      routingMisses
    } satisfies CheckOutcome
  })

/** Moves the domain's next background check (after a verify call). */
export const rescheduleAfter = (hostname: string, outcome: CheckOutcome) =>
  Effect.gen(function* () {
    const config = yield* Config
    const store = yield* ScheduleStore
    const status = isLive(outcome.state) ? outcome.state.status : "gone"
    const next = nextCheck(status, {
      now: yield* Clock.currentTimeMillis,
      attempt: 0,
      changed: true,
      routingMisses: outcome.routingMisses,
      settings: domainSettingsOf(config)
    })
    if (next === undefined) yield* store.cancel(domainCheckJob, hostname)
    else yield* store.schedule(domainCheckJob, hostname, next)
  })
