import { isIP } from "node:net"
import { resolve } from "node:path"
import { Schema } from "effect"
import { type DomainSettings, defaultDomainSettings, type Plan } from "../../application/config.ts"
import { parseDnsServers } from "../dns/NodeDns.ts"
import { defaultWebhookRateLimits, type RateLimit, type WebhookRateLimits } from "../http/rateLimit.ts"
import { defaultCheckRateLimit } from "../outbound/checkQuota.ts"
import {
  type OriginOverrides,
  OriginOverridesError,
  parseOriginOverrides
} from "../outbound/originOverrides.ts"
import { type EdgeKeySettings, edgeKeySettingsFromEnv } from "./edgeKeys.ts"

/** Everything the environment configures (CONTRACT.md, Configuration), parsed once. */
export interface Settings {
  readonly production: boolean
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly redisUrl: string | undefined
  readonly authPublicKey: string | undefined
  readonly authJwksUrl: string | undefined
  readonly authIssuer: string | undefined
  readonly authAuthorizedParties: ReadonlyArray<string> | undefined
  readonly masterAdminUserIds: ReadonlySet<string>
  readonly encryptionKey: string | undefined
  readonly publicBaseUrl: string
  readonly proxyBaseDomain: string
  readonly plans: Readonly<Record<string, Plan>>
  readonly defaultPlan: string
  /** `smtp://…` or `smtps://…`: invitation mail goes there; unset, it is only logged. */
  readonly smtpUrl: string | undefined
  readonly mailFrom: string
  readonly inviteTtlHours: number
  /** Token buckets of the public webhook receivers, per node (see parseRateLimit). */
  readonly webhookRateLimits: WebhookRateLimits
  /** Origins a change made with the `__session` cookie may come from (see parseAllowedOrigins). */
  readonly allowedOrigins: ReadonlyArray<string>
  /** How many proxies in front are trusted to name the client in X-Forwarded-For (see parseTrustProxy). */
  readonly trustProxy: number
  /** Resolvers the `Dns` port asks (`DNS_SERVERS`); undefined: the system's. */
  readonly dnsServers: ReadonlyArray<string> | undefined
  /** Custom domains: EDGE_IPS, DOMAIN_CHECK_SCHEDULE, … (see parseDomainSettings). */
  readonly domains: DomainSettings
  /** `INTERNAL_API_TOKEN`: a bearer that may read internal endpoints (the Traefik export) from anywhere. */
  readonly internalApiToken: string | undefined
  /** EDGE_SEAL_KEY, EDGE_TOKENS, EDGE_TOKEN as given; loaded (or generated in development) by edgeKeys.ts. */
  readonly edgeKeys: EdgeKeySettings
  /** `postgres://…` of the logs database; unset, beside the event store's (see LogsDatabase.ts). */
  readonly logsDatabaseUrl: string | undefined
  /** Days of request logs kept (`LOG_RETENTION_DAYS`, default 30). */
  readonly logRetentionDays: number
  /**
   * CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN (all three or
   * none; CLOUDFLARE_API_BASE_URL optional): the snapshot writer's KV is that Workers KV
   * namespace, written through Cloudflare's REST API (adapters/kv/CloudflareKv.ts).
   */
  readonly cloudflareKv:
    | {
        readonly accountId: string
        readonly namespaceId: string
        readonly apiToken: string
        readonly apiBaseUrl: string | undefined
      }
    | undefined
  /** `ORIGIN_OVERRIDES`: origins the outbound fetcher sends elsewhere (never in production; see originOverrides.ts). */
  readonly originOverrides: OriginOverrides
  /** `CHECK_RATE_LIMIT` (`<burst>/<perSecond>`): each tenant's token bucket for the outbound checks. */
  readonly checkRateLimit: RateLimit
  /** The audit feeds' heartbeat and per-user connection cap (AUDIT_FEED_HEARTBEAT_MS, AUDIT_FEED_STREAMS_PER_USER). */
  readonly auditStreams: { readonly heartbeatMillis: number; readonly streamsPerUser: number }
}

export class SettingsError extends Schema.TaggedError<SettingsError>()("SettingsError", {
  message: Schema.String
}) {}

const defaultPlans = { free: { maxTenants: 3 }, pro: { maxTenants: 50 } }

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0)

const PlanCount = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

const PlansJson = Schema.Record(
  Schema.String,
  Schema.Struct({
    maxTenants: PlanCount,
    maxDomains: Schema.optionalKey(PlanCount),
    // Monthly quotas (analytics): crossing 80 %/100 % is recorded; `block` makes the edge refuse.
    maxRequestsPerMonth: Schema.optional(PlanCount),
    maxBandwidthBytesPerMonth: Schema.optional(PlanCount),
    quotaAction: Schema.optional(Schema.Literals(["report", "block"]))
  })
)

const fail = (message: string): never => {
  throw new SettingsError({ message })
}

const parsePlans = (raw: string | undefined): Record<string, Plan> => {
  if (raw === undefined || raw.trim() === "") return defaultPlans
  try {
    return Schema.decodeUnknownSync(PlansJson)(JSON.parse(raw)) as Record<string, Plan>
  } catch {
    return fail('PLANS must be JSON such as {"free":{"maxTenants":3}}')
  }
}

const parsePort = (raw: string | undefined): number => {
  if (raw === undefined || raw === "") return 8080
  const port = Number(raw)
  return Number.isInteger(port) && port >= 0 && port <= 65535
    ? port
    : fail(`PORT must be 0-65535, not "${raw}"`)
}

const parseInviteTtl = (raw: string | undefined): number => {
  if (raw === undefined || raw.trim() === "") return 168
  const hours = Number(raw)
  return Number.isFinite(hours) && hours > 0 && hours <= 8760
    ? hours
    : fail(`INVITE_TTL_HOURS must be a number of hours above 0 and at most 8760, not "${raw}"`)
}

const parseRetentionDays = (raw: string | undefined): number => {
  if (raw === undefined || raw.trim() === "") return 30
  const days = Number(raw)
  return Number.isInteger(days) && days >= 1 && days <= 3650
    ? days
    : fail(`LOG_RETENTION_DAYS must be a whole number of days from 1 to 3650, not "${raw}"`)
}

/** A whole number within bounds, or its default when unset. */
const parseBoundedInt = (
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number
) => {
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  return Number.isInteger(value) && value >= min && value <= max
    ? value
    : fail(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`)
}

const nonEmpty = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value

/** Reads and checks the environment; in production, refuses to run without real keys. */
export const settingsFromEnv = (env: NodeJS.ProcessEnv): Settings => {
  const production = env.NODE_ENV === "production"
  const port = parsePort(env.PORT)
  const host = nonEmpty(env.HOST) ?? "127.0.0.1"
  const plans = parsePlans(env.PLANS)
  const defaultPlan = nonEmpty(env.DEFAULT_PLAN) ?? "free"
  if (plans[defaultPlan] === undefined)
    fail(`DEFAULT_PLAN "${defaultPlan}" is not one of PLANS (${Object.keys(plans).join(", ")})`)
  const publicBaseUrl = (nonEmpty(env.PUBLIC_BASE_URL) ?? `http://${host}:${port}`).replace(/\/+$/, "")
  const settings: Settings = {
    production,
    port,
    host,
    dataDir: resolve(nonEmpty(env.DATA_DIR) ?? "./.data"),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    redisUrl: nonEmpty(env.REDIS_URL),
    authPublicKey: nonEmpty(env.AUTH_JWT_PUBLIC_KEY),
    authJwksUrl: nonEmpty(env.AUTH_JWKS_URL),
    authIssuer: nonEmpty(env.AUTH_ISSUER),
    authAuthorizedParties:
      env.AUTH_AUTHORIZED_PARTIES === undefined ? undefined : list(env.AUTH_AUTHORIZED_PARTIES),
    masterAdminUserIds: new Set(list(env.MASTER_ADMIN_USER_IDS)),
    encryptionKey: nonEmpty(env.ENCRYPTION_KEY),
    publicBaseUrl,
    proxyBaseDomain: nonEmpty(env.PROXY_BASE_DOMAIN) ?? "cachely.localhost",
    plans,
    defaultPlan,
    smtpUrl: nonEmpty(env.SMTP_URL),
    mailFrom: nonEmpty(env.MAIL_FROM) ?? "Tenantry <no-reply@tenantry.localhost>",
    inviteTtlHours: parseInviteTtl(env.INVITE_TTL_HOURS),
    webhookRateLimits: {
      perWebhook: parseRateLimit(
        "WEBHOOK_RATE_LIMIT_PER_WEBHOOK",
        env.WEBHOOK_RATE_LIMIT_PER_WEBHOOK,
        defaultWebhookRateLimits.perWebhook
      ),
      perClient: parseRateLimit(
        "WEBHOOK_RATE_LIMIT_PER_CLIENT",
        env.WEBHOOK_RATE_LIMIT_PER_CLIENT,
        defaultWebhookRateLimits.perClient
      )
    },
    allowedOrigins: parseAllowedOrigins(env.ALLOWED_ORIGINS, publicBaseUrl),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    dnsServers: parseDnsServerSetting(env.DNS_SERVERS),
    domains: parseDomainSettings(env),
    internalApiToken: nonEmpty(env.INTERNAL_API_TOKEN),
    edgeKeys: edgeKeySettingsFromEnv(env),
    logsDatabaseUrl: nonEmpty(env.LOGS_DATABASE_URL),
    logRetentionDays: parseRetentionDays(env.LOG_RETENTION_DAYS),
    cloudflareKv: parseCloudflareKv(env),
    originOverrides: parseOriginOverridesSetting(env.ORIGIN_OVERRIDES, production),
    checkRateLimit: parseRateLimit("CHECK_RATE_LIMIT", env.CHECK_RATE_LIMIT, defaultCheckRateLimit),
    auditStreams: {
      // At most 15 s (CONTRACT: a heartbeat at least every 15 s); lower for tests.
      heartbeatMillis: parseBoundedInt(
        "AUDIT_FEED_HEARTBEAT_MS",
        env.AUDIT_FEED_HEARTBEAT_MS,
        10_000,
        10,
        15_000
      ),
      streamsPerUser: parseBoundedInt(
        "AUDIT_FEED_STREAMS_PER_USER",
        env.AUDIT_FEED_STREAMS_PER_USER,
        5,
        1,
        1_000
      )
    }
  }
  if (production) {
    const missing = [
      ...(settings.encryptionKey === undefined ? ["ENCRYPTION_KEY"] : []),
      ...(settings.authPublicKey === undefined && settings.authJwksUrl === undefined
        ? ["AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL"]
        : [])
    ]
    if (missing.length > 0) fail(`NODE_ENV=production needs ${missing.join(" and ")}`)
  }
  return settings
}

/** `"<burst>/<perSecond>"`, e.g. `300/100`. */
const parseRateLimit = (name: string, raw: string | undefined, fallback: RateLimit): RateLimit => {
  const value = raw?.trim()
  if (value === undefined || value === "") return fallback
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value)
  if (match === null || Number(match[1]) < 1 || Number(match[2]) <= 0) {
    return fail(`${name} must look like "<burst>/<perSecond>", e.g. "300/100"; got "${value}"`)
  }
  return { burst: Number(match[1]), perSecond: Number(match[2]) }
}

/** `scheme://host[:port]` of an http(s) URL that names nothing more than its origin. */
const originOf = (value: string): string | undefined => {
  try {
    const url = new URL(value)
    const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === ""
    return (url.protocol === "https:" || url.protocol === "http:") && bare ? url.origin : undefined
  } catch {
    return undefined
  }
}

/** Comma-separated origins; unset, the origin of PUBLIC_BASE_URL (the API's own pages). */
const parseAllowedOrigins = (raw: string | undefined, publicBaseUrl: string): ReadonlyArray<string> => {
  const given = list(raw)
  if (given.length === 0) {
    return [
      originOf(new URL(publicBaseUrl).origin) ??
        fail(`PUBLIC_BASE_URL must be an http(s) URL, not "${publicBaseUrl}"`)
    ]
  }
  return given.map(
    (item) =>
      originOf(item) ??
      fail(`ALLOWED_ORIGINS must list origins such as https://app.example.com (no path); got "${item}"`)
  )
}

/**
 * `false` (the default) or `0`: no proxy is trusted, the client is the socket's peer.
 * `true` or `1`: one proxy (a load balancer) appends the client to X-Forwarded-For;
 * `n`: a chain of n proxies does (see adapters/http/clientAddress.ts for the entry taken).
 */
const parseTrustProxy = (raw: string | undefined): number => {
  const value = raw?.trim().toLowerCase()
  if (value === undefined || value === "" || value === "false" || value === "0") return 0
  if (value === "true") return 1
  return /^[1-9]\d{0,1}$/.test(value)
    ? Number(value)
    : fail(`TRUST_PROXY must be true, false or the number of proxies in front (1-99); got "${raw}"`)
}

/** `DNS_SERVERS`: comma-separated `ip`, `ip:port`, `[ipv6]:port`; unset or empty: the system's resolvers. */
const parseDnsServerSetting = (raw: string | undefined): ReadonlyArray<string> | undefined => {
  if (raw === undefined || raw.trim() === "") return undefined
  const parsed = parseDnsServers(raw)
  return "error" in parsed ? fail(parsed.error) : parsed
}

const positiveNumber = (name: string, raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw)
  return Number.isFinite(value) && value > 0 && value <= max
    ? value
    : fail(`${name} must be a number above 0 and at most ${max}, not "${raw}"`)
}

/** The custom-domain settings (CONTRACT "Custom domains", and the Traefik export's). */
const parseDomainSettings = (env: NodeJS.ProcessEnv): DomainSettings => {
  const edgeIps = list(env.EDGE_IPS)
  for (const ip of edgeIps) if (isIP(ip) === 0) fail(`EDGE_IPS must list IP addresses; "${ip}" is not one`)
  const schedule = list(env.DOMAIN_CHECK_SCHEDULE)
  const checkScheduleSeconds =
    schedule.length === 0
      ? defaultDomainSettings.checkScheduleSeconds
      : schedule.map((step) => positiveNumber("DOMAIN_CHECK_SCHEDULE (each step)", step, 1, 31_536_000))
  const edgeUpstreams = list(env.EDGE_UPSTREAMS)
  for (const upstream of edgeUpstreams) {
    let ok = false
    try {
      const url = new URL(upstream)
      ok =
        (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
    } catch {
      ok = false
    }
    if (!ok)
      fail(`EDGE_UPSTREAMS must list http(s) URLs such as http://127.0.0.1:8787; "${upstream}" is not one`)
  }
  return {
    edgeIps,
    checkScheduleSeconds,
    activeRecheckSeconds: positiveNumber(
      "DOMAIN_ACTIVE_RECHECK_SECONDS",
      env.DOMAIN_ACTIVE_RECHECK_SECONDS,
      defaultDomainSettings.activeRecheckSeconds,
      31_536_000
    ),
    pendingTtlHours: positiveNumber(
      "DOMAIN_PENDING_TTL_HOURS",
      env.DOMAIN_PENDING_TTL_HOURS,
      defaultDomainSettings.pendingTtlHours,
      87_600
    ),
    acmeCaDomain: nonEmpty(env.ACME_CA_DOMAIN)?.trim().toLowerCase() ?? defaultDomainSettings.acmeCaDomain,
    edgeUpstreams: edgeUpstreams.length === 0 ? defaultDomainSettings.edgeUpstreams : edgeUpstreams,
    traefikCertResolver: nonEmpty(env.TRAEFIK_CERT_RESOLVER)?.trim()
  }
}

/** The three Cloudflare KV settings together, or none of them. */
const parseCloudflareKv = (env: NodeJS.ProcessEnv): Settings["cloudflareKv"] => {
  const accountId = nonEmpty(env.CLOUDFLARE_ACCOUNT_ID)
  const namespaceId = nonEmpty(env.CLOUDFLARE_KV_NAMESPACE_ID)
  const apiToken = nonEmpty(env.CLOUDFLARE_API_TOKEN)
  if (accountId === undefined && namespaceId === undefined && apiToken === undefined) return undefined
  if (accountId === undefined || namespaceId === undefined || apiToken === undefined) {
    return fail(
      "Cloudflare KV needs CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID and CLOUDFLARE_API_TOKEN together"
    )
  }
  return { accountId, namespaceId, apiToken, apiBaseUrl: nonEmpty(env.CLOUDFLARE_API_BASE_URL) }
}
const parseOriginOverridesSetting = (raw: string | undefined, production: boolean): OriginOverrides => {
  try {
    return parseOriginOverrides(raw, production)
  } catch (error) {
    return fail(error instanceof OriginOverridesError ? error.message : String(error))
  }
}
