import { Context, type Effect } from "effect"
import type { DomainStatus } from "../../domain/customDomain/index.ts"
import type { DomainSummary } from "../projections/tenantView.ts"

/**
 * A custom domain as the `custom_domains` read model has it: what its stream says, plus
 * what its last check found (operational data, not events: only transitions are events).
 * `released`: its tenant was deleted (the hostname is free; the row stays until it is taken).
 */
export interface DomainRow {
  readonly hostname: string
  readonly tenantId: string
  readonly domainId: string
  readonly status: DomainStatus | "released"
  readonly token: string
  readonly createdAt: string
  readonly verifiedAt: string | null
  readonly activatedAt: string | null
  /** What the last check said (empty when active), or the transition's reasons. */
  readonly reasons: ReadonlyArray<string>
  /** Routing misses in a row (an active domain turns misconfigured at the second). */
  readonly routingMisses: number
  readonly lastCheckedAt: string | null
  /** When the scheduler checks it next (null: not scheduled, e.g. expired). */
  readonly nextCheckAt: string | null
}

/** What one check found, kept on the row. */
export interface CheckRecord {
  readonly reasons: ReadonlyArray<string>
  readonly routingMisses: number
  readonly checkedAt: string
}

/** Queries over `custom_domains`, and the one write that is not an event's (a check's outcome). */
export class CustomDomainReadModel extends Context.Service<
  CustomDomainReadModel,
  {
    /** The tenant's live domains, oldest first. */
    readonly listForTenant: (tenantId: string) => Effect.Effect<ReadonlyArray<DomainRow>>
    readonly byHostname: (hostname: string) => Effect.Effect<DomainRow | undefined>
    /**
     * The tenant value's `domains` of each of these tenants (live domains, oldest first; a tenant
     * without any is absent). Read on every tenant read: kept until a domain event is appended.
     */
    readonly summariesOf: (
      tenantIds: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<DomainSummary>>>
    /** Every row of these tenants (released ones too), oldest first. */
    readonly ofTenants: (tenantIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<DomainRow>>
    readonly countForTenant: (tenantId: string) => Effect.Effect<number>
    /** Records a check's outcome on the row of `domainId` (nothing if the hostname moved on). */
    readonly recordCheck: (hostname: string, domainId: string, check: CheckRecord) => Effect.Effect<void>
    /** Every live tenant's slug, and every active domain of a live tenant with its slug: for routing exports. */
    readonly routingTable: () => Effect.Effect<{
      readonly slugs: ReadonlyArray<string>
      readonly domains: ReadonlyArray<{ readonly hostname: string; readonly slug: string }>
    }>
  }
>()("tenantry/application/ports/CustomDomainReadModel") {}
