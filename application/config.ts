import { Context } from "effect"

export interface Plan {
  readonly maxTenants: number
  /** Monthly quotas; none when absent. */
  readonly maxRequestsPerMonth?: number | undefined
  readonly maxBandwidthBytesPerMonth?: number | undefined
  /** What the edge does over quota: report it in a header (default) or refuse with 429. */
  readonly quotaAction?: "report" | "block" | undefined
}

/** Settings the use cases need, read once at start by the composition root. */
export interface TenantryConfig {
  /** A tenant's proxy base is `https://{slug}.{proxyBaseDomain}`. */
  readonly proxyBaseDomain: string
  /** Base of URLs handed out (webhook receivers). */
  readonly publicBaseUrl: string
  readonly plans: Readonly<Record<string, Plan>>
  readonly defaultPlan: string
  readonly masterAdminUserIds: ReadonlySet<string>
  /** How long an invite may be accepted; 168 (7 days) when unset. */
  readonly inviteTtlHours?: number | undefined
  /** Per-node token buckets of the public webhook receivers; defaults when unset. */
  readonly webhookRateLimits?:
    | {
        readonly perWebhook: { readonly burst: number; readonly perSecond: number }
        readonly perClient: { readonly burst: number; readonly perSecond: number }
      }
    | undefined
}

export class Config extends Context.Service<Config, TenantryConfig>()("tenantry/application/Config") {}

export const proxyBase = (config: Pick<TenantryConfig, "proxyBaseDomain">, slug: string): string =>
  `https://${slug}.${config.proxyBaseDomain}`

export { snapshotKey as edgeKey } from "../domain/edge/snapshot.ts"
