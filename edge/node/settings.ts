import { parseOriginOverrides } from "../core.ts"

/** The Node host's environment (CONTRACT.md, Edge), parsed once; a bad value is a sentence. */
export interface EdgeHostSettings {
  readonly production: boolean
  readonly host: string
  readonly port: number
  readonly cacheBytes: number
  readonly upstreamTimeoutMs: number
  readonly tenantryUrl: string
  readonly proxyBaseDomain: string
  readonly originOverrides: ReadonlyMap<string, URL>
}

const nonEmpty = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

const number = (
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number
): number => {
  const value = nonEmpty(raw)
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < min || parsed > max)
    throw new Error(`${name} must be a number from ${min} to ${max}, not "${value}"`)
  return parsed
}

export const edgeHostSettingsFromEnv = (env: NodeJS.ProcessEnv): EdgeHostSettings => {
  const production = env.NODE_ENV === "production"
  const originOverrides = parseOriginOverrides(env.ORIGIN_OVERRIDES)
  if (production && originOverrides.size > 0) {
    throw new Error("ORIGIN_OVERRIDES is for development and tests; it is refused under NODE_ENV=production")
  }
  const tenantryUrl = (nonEmpty(env.TENANTRY_URL) ?? "http://127.0.0.1:8080").replace(/\/+$/, "")
  try {
    new URL(tenantryUrl)
  } catch {
    throw new Error(`TENANTRY_URL must be a URL such as http://127.0.0.1:8080, not "${tenantryUrl}"`)
  }
  return {
    production,
    host: nonEmpty(env.EDGE_HOST) ?? "127.0.0.1",
    port: Math.trunc(number("EDGE_PORT", env.EDGE_PORT, 8787, 0, 65535)),
    cacheBytes: Math.floor(number("EDGE_CACHE_MB", env.EDGE_CACHE_MB, 256, 0, 1_048_576) * 1024 * 1024),
    upstreamTimeoutMs: number("EDGE_UPSTREAM_TIMEOUT_MS", env.EDGE_UPSTREAM_TIMEOUT_MS, 10_000, 1, 600_000),
    tenantryUrl,
    proxyBaseDomain: nonEmpty(env.PROXY_BASE_DOMAIN) ?? "cachely.localhost",
    originOverrides
  }
}
