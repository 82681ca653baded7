import { Context } from "effect"

export interface Plan {
  readonly maxTenants: number
  /** Custom domains per tenant; absent: unlimited. */
  readonly maxDomains?: number | undefined
  /** Monthly quotas; none when absent. */
  readonly maxRequestsPerMonth?: number | undefined
  readonly maxBandwidthBytesPerMonth?: number | undefined
  /** What the edge does over quota: report it in a header (default) or refuse with 429. */
  readonly quotaAction?: "report" | "block" | undefined
}

/** Custom domains (CONTRACT "Custom domains"); `defaultDomainSettings` where unset. */
export interface DomainSettings {
  /** `EDGE_IPS`: A/AAAA records within these route an apex name; empty: only the CNAME form routes. */
  readonly edgeIps: ReadonlyArray<string>
  /** `DOMAIN_CHECK_SCHEDULE`: seconds between successive checks of a pending or misconfigured domain, the last repeating. */
  readonly checkScheduleSeconds: ReadonlyArray<number>
  /** `DOMAIN_ACTIVE_RECHECK_SECONDS`. */
  readonly activeRecheckSeconds: number
  /** `DOMAIN_PENDING_TTL_HOURS`. */
  readonly pendingTtlHours: number
  /** `ACME_CA_DOMAIN`: the CA a CAA record must allow. */
  readonly acmeCaDomain: string
  /** `EDGE_UPSTREAMS`: the Traefik export's servers. */
  readonly edgeUpstreams: ReadonlyArray<string>
  /** `TRAEFIK_CERT_RESOLVER`. */
  readonly traefikCertResolver: string | undefined
}

export const defaultDomainSettings: DomainSettings = {
  edgeIps: [],
  checkScheduleSeconds: [60, 300, 900, 3600, 21600],
  activeRecheckSeconds: 21600,
  pendingTtlHours: 168,
  acmeCaDomain: "letsencrypt.org",
  edgeUpstreams: ["http://127.0.0.1:8787"],
  traefikCertResolver: undefined
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
  readonly domains?: DomainSettings | undefined
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
