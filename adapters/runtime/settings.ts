import { resolve } from "node:path"
import { Schema } from "effect"
import type { Plan } from "../../application/config.ts"
import { defaultWebhookRateLimits, type RateLimit, type WebhookRateLimits } from "../http/rateLimit.ts"

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

const PlansJson = Schema.Record(
  Schema.String,
  Schema.Struct({ maxTenants: Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0))) })
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
