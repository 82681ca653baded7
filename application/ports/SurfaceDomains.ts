import { Context, type Effect } from "effect"

/** A tenant's custom domain as the cachely-check needs it. */
export interface SurfaceDomain {
  readonly hostname: string
  /** `pending` | `active` | `misconfigured` | `expired`. */
  readonly status: string
  readonly activatedAt: string | null
}

/**
 * The tenant's custom domains, read for the cachely-check's production surface (the
 * earliest-activated active one). Read from the custom domains' read model.
 */
export class SurfaceDomains extends Context.Service<
  SurfaceDomains,
  {
    readonly forTenant: (tenantId: string) => Effect.Effect<ReadonlyArray<SurfaceDomain>>
  }
>()("tenantry/application/ports/SurfaceDomains") {}
