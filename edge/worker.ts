import { type Edge, makeEdge, parseOriginOverrides } from "./core.ts"
import { memoSource } from "./memo.ts"
import type { CachedResponse, EdgeCache, UpstreamFetch } from "./ports.ts"
import { decodeSealKey, makeEdgeKeys } from "./seal.ts"
import { makeShipper, type Shipper } from "./shipper.ts"

/**
 * The Cloudflare Worker host (`wrangler.toml`): the same core over the KV binding (`KV`,
 * the namespace the control plane's CloudflareKv adapter writes), `caches.default`, and
 * the platform's fetch; request logs are shipped in the background through
 * `ctx.waitUntil`. Configuration comes from the Worker's vars and secrets, named as the
 * Node host's environment.
 */
interface KvNamespace {
  readonly get: (key: string, options?: { readonly cacheTtl?: number }) => Promise<string | null>
}

interface ExecutionContext {
  readonly waitUntil: (promise: Promise<unknown>) => void
}

export interface WorkerEnv {
  readonly KV: KvNamespace
  readonly PROXY_BASE_DOMAIN?: string
  readonly EDGE_SEAL_KEY?: string
  readonly EDGE_TOKEN?: string
  readonly TENANTRY_URL?: string
  readonly ORIGIN_OVERRIDES?: string
  readonly EDGE_UPSTREAM_TIMEOUT_MS?: string
  readonly NODE_ENV?: string
}

interface WorkerCache {
  readonly match: (request: Request) => Promise<Response | undefined>
  readonly put: (request: Request, response: Response) => Promise<void>
}

declare const caches: { readonly default: WorkerCache }

const cacheBase = "https://edge-cache.cachely.invalid/"
const storedAtHeader = "x-cachely-stored-at"
const ttlHeader = "x-cachely-ttl"
const originalControl = "x-cachely-cache-control"

/** `caches.default` as the core's cache: entries expire there by `max-age` too. */
const workerCache = (): EdgeCache => ({
  get: async (key) => {
    const found = await caches.default.match(new Request(cacheBase + encodeURIComponent(key)))
    if (found === undefined) return undefined
    const storedAt = Number(found.headers.get(storedAtHeader))
    const ttl = Number(found.headers.get(ttlHeader))
    const control = found.headers.get(originalControl)
    const headers: Array<[string, string]> = []
    for (const [name, value] of found.headers) {
      if (
        name === storedAtHeader ||
        name === ttlHeader ||
        name === originalControl ||
        name === "cache-control"
      )
        continue
      if (name === "cf-cache-status" || name === "age") continue
      headers.push([name, value])
    }
    if (control !== null) headers.push(["cache-control", control])
    return { status: found.status, headers, body: new Uint8Array(await found.arrayBuffer()), storedAt, ttl }
  },
  put: async (key, entry: CachedResponse) => {
    const headers = new Headers(entry.headers as Array<[string, string]>)
    const control = headers.get("cache-control")
    if (control !== null) headers.set(originalControl, control)
    headers.set("cache-control", `max-age=${entry.ttl}`)
    headers.set(storedAtHeader, String(entry.storedAt))
    headers.set(ttlHeader, String(entry.ttl))
    await caches.default.put(
      new Request(cacheBase + encodeURIComponent(key)),
      new Response(entry.body as Uint8Array<ArrayBuffer>, { status: entry.status, headers })
    )
  }
})

/** The platform's fetch; an override moves the connection, the Host stays the origin's. */
const workerUpstream: UpstreamFetch = (request) => {
  const connect = request.connectTo
  const url =
    connect === undefined
      ? request.url
      : new URL(
          `${connect.origin}${connect.pathname.replace(/\/+$/, "")}${request.url.pathname}${request.url.search}`
        )
  const headers = new Headers(request.headers)
  headers.set("host", request.url.host)
  return fetch(url, {
    method: request.method,
    headers,
    body: request.body,
    redirect: "manual",
    signal: request.signal
  })
}

interface Instance {
  readonly edge: Edge
  readonly shipper: Shipper
}

let instance: Promise<Instance> | undefined
let flushScheduled = false

/** Built once per isolate from its env. */
const build = async (env: WorkerEnv): Promise<Instance> => {
  const overrides = parseOriginOverrides(env.ORIGIN_OVERRIDES)
  if (env.NODE_ENV === "production" && overrides.size > 0)
    throw new Error("ORIGIN_OVERRIDES is refused in production")
  const sealKey = env.EDGE_SEAL_KEY === undefined ? undefined : decodeSealKey(env.EDGE_SEAL_KEY)
  if (env.EDGE_SEAL_KEY !== undefined && sealKey === undefined)
    throw new Error("EDGE_SEAL_KEY must be base64 of exactly 32 bytes")
  const tenantryUrl = (env.TENANTRY_URL ?? "http://127.0.0.1:8080").replace(/\/+$/, "")
  const shipper = makeShipper({
    url: `${tenantryUrl}/api/edge/logs`,
    token: env.EDGE_TOKEN,
    fetch: (input, init) => fetch(input, init)
  })
  const timeout = Number(env.EDGE_UPSTREAM_TIMEOUT_MS ?? "10000")
  const edge = makeEdge({
    proxyBaseDomain: env.PROXY_BASE_DOMAIN ?? "cachely.localhost",
    // The KV binding is read on every request; the memo keeps a snapshot for 1 s per isolate.
    snapshots: memoSource({ get: (key) => env.KV.get(key) }, 1000),
    cache: workerCache(),
    logs: shipper,
    upstream: workerUpstream,
    keys: sealKey === undefined ? undefined : await makeEdgeKeys(sealKey),
    originOverrides: overrides,
    upstreamTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 10_000
  })
  return { edge, shipper }
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    instance ??= build(env)
    const { edge, shipper } = await instance
    const country = (request as Request & { cf?: { country?: string } }).cf?.country ?? null
    const response = await edge.handle(request, {
      clientIp: request.headers.get("cf-connecting-ip") ?? undefined,
      country,
      waitUntil: (promise) => ctx.waitUntil(promise)
    })
    // Logs leave in batches: the first request to find none scheduled ships within 1 s.
    if (!flushScheduled) {
      flushScheduled = true
      const wait = Math.min(1000, Math.max(0, shipper.dueInMs()))
      ctx.waitUntil(
        new Promise((resolve) => setTimeout(resolve, wait))
          .then(() => shipper.flush())
          .catch(() => undefined)
          .finally(() => {
            flushScheduled = false
          })
      )
    }
    return response
  }
}
