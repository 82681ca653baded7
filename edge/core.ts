import { edgeHeaders } from "../domain/edge/headers.ts"
import type { CacheOutcome, RequestLogRecord, Surface } from "../domain/edge/requestLog.ts"
import { type EdgeSnapshot, overQuotaAt } from "../domain/edge/snapshot.ts"
import { refusedUpstreamHost } from "./address.ts"
import type { CachedResponse, EdgeCache, LogSink, SnapshotSource, UpstreamFetch } from "./ports.ts"
import { assetHosts, cacheKey, lookupSnapshot, normalizeHost, parseSnapshot, surfaceOf } from "./routing.ts"
import type { EdgeKeys } from "./seal.ts"

/**
 * The reference edge: one handler over the Fetch API's Request and Response, the same in
 * every host. It routes by Host to a tenant's snapshot, serves one of three surfaces
 * (`/~api/…` the API proxy, `/~assets/{host}/…` the CMS's asset hosts, anything else the
 * website), caches GET/HEAD under versioned keys, and logs every request it served for a
 * tenant. Gates, errors and headers are CONTRACT.md's (Edge).
 */
export interface EdgeOptions {
  readonly proxyBaseDomain: string
  readonly snapshots: SnapshotSource
  readonly cache: EdgeCache
  readonly logs: LogSink
  readonly upstream: UpstreamFetch
  /** EDGE_SEAL_KEY: opens sealed API tokens and signs proofs; without it, neither happens. */
  readonly keys: EdgeKeys | undefined
  /** ORIGIN_OVERRIDES: origin → the base URL its connections go to instead. */
  readonly originOverrides: ReadonlyMap<string, URL>
  /**
   * EDGE_UPSTREAM_TIMEOUT_MS: an upstream that has not answered by then is a 504; one whose
   * body then waits that long for its next chunk is cut off.
   */
  readonly upstreamTimeoutMs: number
  /** Bodies above this many bytes are streamed through and never cached. */
  readonly maxCacheBytes?: number
  readonly now?: () => number
}

/**
 * The part of a Fetch API Request the core reads: a Request is one, and so is the Node
 * host's lighter view of an IncomingMessage (edge/node/server.ts), which spares a HIT the
 * cost of building a full Request.
 */
export interface EdgeRequest {
  readonly method: string
  readonly url: string
  readonly headers: Pick<Headers, "get" | "has"> & Iterable<[string, string]>
  readonly body: ReadableStream<Uint8Array> | null
}

/**
 * An answer as the core makes it: `handle` turns it into a Response (the Worker host),
 * `serve` hands it over as it is, so a host can write a whole body at once without a
 * Response and its stream in between (the Node host: a HIT costs half as much that way).
 */
export interface EdgeAnswer {
  readonly status: number
  readonly statusText: string
  readonly headers: Array<[string, string]>
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null
}

/** What the host knows of the request beyond the Request itself. */
export interface RequestInfo {
  readonly clientIp?: string | undefined
  readonly country?: string | null | undefined
  /** Work to finish after the answer (cache writes); Workers pass `ctx.waitUntil`. */
  readonly waitUntil?: ((promise: Promise<unknown>) => void) | undefined
}

const defaultMaxCacheBytes = 8 * 1024 * 1024
/** 301 and 404 are cached, briefly. */
const shortTtlSeconds = 60

/** RFC 9110 hop-by-hop headers, never forwarded either way (with whatever `Connection` names). */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
])

const stripHopByHop = (source: EdgeRequest["headers"], also: ReadonlyArray<string> = []): Headers => {
  const named = new Set(
    (source.get("connection") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name.length > 0)
  )
  const headers = new Headers()
  for (const [name, value] of source) {
    if (!hopByHop.has(name) && !named.has(name) && !also.includes(name)) headers.append(name, value)
  }
  return headers
}

/** An upstream's response headers as the edge passes them on: no hop-by-hop, none of our own. */
const responseHeaders = (source: Headers): Array<[string, string]> => {
  const pairs: Array<[string, string]> = []
  for (const [name, value] of stripHopByHop(source)) {
    if (name.startsWith("x-cachely-") || name === "cache-status") continue
    if (name === "set-cookie") continue
    pairs.push([name, value])
  }
  for (const cookie of source.getSetCookie()) pairs.push(["set-cookie", cookie])
  return pairs
}

const nullBodyStatus = (status: number) => status === 204 || status === 205 || status === 304

interface Served {
  readonly snapshot: EdgeSnapshot
  readonly host: string
  readonly surface: Surface
  readonly version: number
}

export const makeEdge = (options: EdgeOptions) => {
  const now = options.now ?? Date.now
  const maxCacheBytes = options.maxCacheBytes ?? defaultMaxCacheBytes

  const encoder = new TextEncoder()
  const envelope = (status: number, error: string, message: string, requestId: string): EdgeAnswer => ({
    status,
    statusText: "",
    headers: [
      ["content-type", "application/json; charset=utf-8"],
      ["x-request-id", requestId]
    ],
    body: encoder.encode(JSON.stringify({ error, message, requestId }))
  })

  /** The edge's own headers, on every answer (a tenant's or not). */
  const stamp = (
    answer: EdgeAnswer,
    request: EdgeRequest,
    host: string | undefined,
    requestId: string,
    surface: Surface,
    served: Served | undefined,
    cache: CacheOutcome,
    cacheStatus: string
  ): EdgeAnswer | Promise<EdgeAnswer> => {
    const headers = answer.headers
    headers.push(
      [edgeHeaders.cache, cache],
      [edgeHeaders.surface, surface],
      [edgeHeaders.tenant, served?.snapshot.slug ?? ""],
      [edgeHeaders.version, served === undefined ? "" : String(served.version)],
      [edgeHeaders.requestId, requestId],
      [edgeHeaders.cacheStatus, cacheStatus]
    )
    if (served !== undefined && overQuotaAt(served.snapshot, new Date(now())))
      headers.push([edgeHeaders.quota, "over"])
    const nonce = request.headers.get(edgeHeaders.nonce)
    if (
      nonce !== null &&
      host !== undefined &&
      options.keys !== undefined &&
      /^[\x21-\x7e]{1,256}$/.test(nonce)
    ) {
      return options.keys.proof(nonce, host).then((proof) => {
        headers.push([edgeHeaders.proof, proof])
        return answer
      })
    }
    return answer
  }

  const versionOf = (snapshot: EdgeSnapshot, surface: Surface) =>
    surface === "api"
      ? snapshot.cache.apiCacheVersion
      : surface === "assets"
        ? snapshot.cache.assetCacheVersion
        : snapshot.cache.htmlCacheVersion

  /** A body that reports, once fully sent (or cut), how many bytes went through. */
  const metered = (
    source: ReadableStream<Uint8Array> | null,
    onDone: (bytes: number, body: Uint8Array | undefined) => void,
    keepUpTo: number,
    /**
     * An origin that sends its headers and then stalls: waiting longer than `ms` for its
     * next chunk runs `abort` (the upstream request's), which fails the body here, so the
     * client's connection ends instead of hanging and nothing partial is stored. Only time
     * spent waiting on the origin counts: a slow client pauses the pulls, not the origin.
     */
    idle: { readonly ms: number; readonly abort: () => void }
  ): ReadableStream<Uint8Array> | null => {
    if (source === null) {
      onDone(0, new Uint8Array(0))
      return null
    }
    let bytes = 0
    let chunks: Array<Uint8Array> | undefined = keepUpTo > 0 ? [] : undefined
    let finished = false
    const finish = (complete: boolean) => {
      if (finished) return
      finished = true
      let whole: Uint8Array | undefined
      if (complete && chunks !== undefined) {
        whole = new Uint8Array(bytes)
        let offset = 0
        for (const chunk of chunks) {
          whole.set(chunk, offset)
          offset += chunk.byteLength
        }
      }
      chunks = undefined
      onDone(bytes, whole)
    }
    const reader = source.getReader()
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        let stalled = false
        const timer = setTimeout(() => {
          stalled = true
          idle.abort()
          // Also cancel the body: a host may end a pending read on abort without closing
          // the origin's connection. A read that ends so is a cut-off, never a whole body.
          reader.cancel().catch(() => undefined)
        }, idle.ms)
        try {
          const { done, value } = await reader.read()
          if (stalled) throw new Error(`the origin sent nothing for ${idle.ms} ms`)
          if (done) {
            controller.close()
            finish(true)
            return
          }
          bytes += value.byteLength
          if (chunks !== undefined) {
            if (bytes > keepUpTo) chunks = undefined
            else chunks.push(value)
          }
          controller.enqueue(value)
        } catch (cause) {
          finish(false)
          controller.error(cause)
        } finally {
          clearTimeout(timer)
        }
      },
      cancel: (reason) => {
        finish(false)
        return reader.cancel(reason)
      }
    })
  }

  /** Whether an upstream answer may be stored, and for how long. */
  const storableFor = (response: Response, ttl: number): number | undefined => {
    const status = response.status
    const seconds =
      status >= 200 && status < 300 && status !== 206
        ? ttl
        : status === 301 || status === 404
          ? Math.min(ttl, shortTtlSeconds)
          : 0
    if (seconds <= 0) return undefined
    const headers = response.headers
    if (headers.has("set-cookie")) return undefined
    const control = (headers.get("cache-control") ?? "").toLowerCase()
    if (/(^|[\s,])(private|no-store|no-cache)($|[\s,=])/.test(control)) return undefined
    if ((headers.get("vary") ?? "").includes("*")) return undefined
    const length = headers.get("content-length")
    if (length !== null && Number(length) > maxCacheBytes) return undefined
    return seconds
  }

  /** The parsed snapshot of each key, reused while the text is the same. */
  const parsed = new Map<string, { readonly text: string; readonly snapshot: EdgeSnapshot | undefined }>()
  const parseKept = (text: string): EdgeSnapshot | undefined => {
    const known = parsed.get(text)
    if (known !== undefined) return known.snapshot
    const snapshot = parseSnapshot(text)
    if (parsed.size >= 10_000) parsed.delete(parsed.keys().next().value as string)
    parsed.set(text, { text, snapshot })
    return snapshot
  }

  const serve = async (request: EdgeRequest, info: RequestInfo = {}): Promise<EdgeAnswer> => {
    const start = now()
    const requestId = crypto.randomUUID()
    const url = new URL(request.url)
    const surface = surfaceOf(url.pathname)
    const host = normalizeHost(request.headers.get("host") ?? url.host)
    const refuse = (status: number, error: string, message: string, served?: Served, log?: boolean) => {
      const answer = envelope(status, error, message, requestId)
      if (served !== undefined && log === true) record(served, answer.status, "BYPASS", 0, null, 0)
      return stamp(answer, request, host, requestId, surface, served, "BYPASS", "Cachely; fwd=bypass")
    }
    const record = (
      served: Served,
      status: number,
      cache: CacheOutcome,
      bytesOut: number,
      originMs: number | null,
      bytesFromOrigin: number
    ) => {
      const log: RequestLogRecord = {
        id: requestId,
        ts: new Date(start).toISOString(),
        tenantId: served.snapshot.tenantId as RequestLogRecord["tenantId"],
        slug: served.snapshot.slug,
        host: served.host,
        method: /^[A-Z]{1,16}$/.test(request.method) ? request.method : "OTHER",
        path: url.pathname.slice(0, 2048),
        status,
        cache,
        surface,
        bytesOut,
        bytesFromOrigin,
        durationMs: Math.max(0, now() - start),
        originMs,
        country:
          info.country !== undefined && info.country !== null && /^[A-Z]{2}$/.test(info.country)
            ? info.country
            : null,
        userAgent: request.headers.get("user-agent")?.slice(0, 256) ?? null
      }
      options.logs.push(log as RequestLogRecord)
    }

    if (host === undefined) return refuse(404, "not_found", "No site is served at this host.")
    const text = await lookupSnapshot(host, options.proxyBaseDomain, options.snapshots)
    if (text === null) return refuse(404, "not_found", "No site is served at this host.")
    const snapshot = parseKept(text)
    if (snapshot === undefined)
      return refuse(503, "unavailable", "This site's configuration cannot be read; try again later.")
    const served: Served = { snapshot, host, surface, version: versionOf(snapshot, surface) }

    // Over a monthly quota on a plan that blocks: 429 until the month ends (UTC).
    if (snapshot.quotaAction === "block" && overQuotaAt(snapshot, new Date(start))) {
      const answer = envelope(429, "rate_limited", "This site has used its monthly quota.", requestId)
      const nextMonth = new Date(start)
      answer.headers.push([
        "retry-after",
        String(
          Math.ceil((Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 1) - start) / 1000)
        )
      ])
      record(served, 429, "BYPASS", 0, null, 0)
      return stamp(answer, request, host, requestId, surface, served, "BYPASS", "Cachely; fwd=bypass")
    }

    // Where the request goes, and what it carries there.
    const target = await resolveTarget(snapshot, surface, url)
    if (target._tag === "refused") return refuse(target.status, target.error, target.message, served, true)
    const upstreamUrl = target.url

    const ttl = surface === "api" ? (snapshot.api?.cacheTTL ?? 0) : snapshot.cache.ttl
    const cacheable =
      (request.method === "GET" || request.method === "HEAD") &&
      !request.headers.has("authorization") &&
      !(surface === "api" && snapshot.api?.cacheEnabled === false) &&
      ttl > 0
    const key = cacheable
      ? cacheKey(snapshot.slug, surface, served.version, url.pathname, url.search)
      : undefined

    if (key !== undefined) {
      const entry = await options.cache.get(key).catch(() => undefined)
      const age = entry === undefined ? Infinity : (now() - entry.storedAt) / 1000
      if (entry !== undefined && age < entry.ttl) {
        const withBody = request.method !== "HEAD" && !nullBodyStatus(entry.status)
        const answer: EdgeAnswer = {
          status: entry.status,
          statusText: "",
          headers: [...(entry.headers as Array<[string, string]>), ["age", String(Math.floor(age))]],
          body: withBody ? entry.body : null
        }
        record(served, entry.status, "HIT", withBody ? entry.body.byteLength : 0, null, 0)
        return stamp(
          answer,
          request,
          host,
          requestId,
          surface,
          served,
          "HIT",
          `Cachely; hit; ttl=${Math.max(0, Math.floor(entry.ttl - age))}`
        )
      }
    }

    // The upstream request: hop-by-hop headers out, our X-Forwarded-* in, the token injected.
    const strip = [
      "host",
      edgeHeaders.nonce,
      ...(surface === "site" ? [] : ["cookie"]),
      ...(surface === "assets" ? ["authorization"] : [])
    ]
    const headers = stripHopByHop(request.headers, strip)
    const forwardedFor = request.headers.get("x-forwarded-for")
    if (info.clientIp !== undefined)
      headers.set(
        "x-forwarded-for",
        forwardedFor === null ? info.clientIp : `${forwardedFor}, ${info.clientIp}`
      )
    headers.set("x-forwarded-host", host)
    if (!headers.has("x-forwarded-proto")) headers.set("x-forwarded-proto", url.protocol.replace(":", ""))
    // Bodies pass through as the origin sent them, so one cached copy suits every client.
    headers.set("accept-encoding", "identity")
    for (const [name, value] of target.inject) headers.set(name, value)
    const override = options.originOverrides.get(upstreamUrl.origin)
    if (override === undefined && refusedUpstreamHost(upstreamUrl.hostname)) {
      return refuse(
        502,
        "bad_gateway",
        "The origin's address is private; the edge does not connect to it.",
        served,
        true
      )
    }
    const method = key !== undefined && request.method === "HEAD" ? "HEAD" : request.method
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), options.upstreamTimeoutMs)
    const originStart = now()
    let upstream: Response
    try {
      upstream = await options.upstream({
        url: upstreamUrl,
        connectTo: override,
        method,
        headers,
        body: method === "GET" || method === "HEAD" ? null : request.body,
        signal: controller.signal
      })
    } catch (cause) {
      if (controller.signal.aborted) {
        return refuse(
          504,
          "gateway_timeout",
          `The origin did not answer within ${options.upstreamTimeoutMs} ms.`,
          served,
          true
        )
      }
      const refused = cause instanceof Error && cause.name === "UpstreamRefused"
      return refuse(
        502,
        "bad_gateway",
        refused
          ? "The origin's address is private; the edge does not connect to it."
          : "The origin could not be reached.",
        served,
        true
      )
    } finally {
      // The headers are in (or the request failed): the body's own idle limit takes over.
      clearTimeout(timer)
    }
    const originMs = Math.max(0, now() - originStart)

    const outcome: CacheOutcome = key === undefined ? "BYPASS" : "MISS"
    const storeFor = key !== undefined && method === "GET" ? storableFor(upstream, ttl) : undefined
    const passed = responseHeaders(upstream.headers)
    const toStore = passed.filter(([name]) => name !== "set-cookie" && name !== "age")
    const body = metered(
      nullBodyStatus(upstream.status) || method === "HEAD" ? null : upstream.body,
      (bytes, whole) => {
        record(served, upstream.status, outcome, bytes, originMs, bytes)
        if (
          storeFor !== undefined &&
          key !== undefined &&
          whole !== undefined &&
          whole.byteLength <= maxCacheBytes
        ) {
          const stored: CachedResponse = {
            status: upstream.status,
            headers: toStore,
            body: whole,
            storedAt: now(),
            ttl: storeFor
          }
          const put = options.cache.put(key, stored).catch(() => undefined)
          info.waitUntil?.(put)
        }
      },
      storeFor === undefined ? 0 : maxCacheBytes,
      { ms: options.upstreamTimeoutMs, abort: () => controller.abort() }
    )
    const cacheStatus =
      outcome === "BYPASS"
        ? "Cachely; fwd=bypass"
        : storeFor === undefined
          ? "Cachely; fwd=miss"
          : "Cachely; fwd=miss; stored"
    const answer: EdgeAnswer = {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: passed,
      body
    }
    return stamp(answer, request, host, requestId, surface, served, outcome, cacheStatus)
  }

  /** The Fetch API face of the core: a Request in, a Response out. */
  const handle = async (request: EdgeRequest, info: RequestInfo = {}): Promise<Response> => {
    const answer = await serve(request, info)
    return new Response(answer.body as Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers
    })
  }

  type Target =
    | { readonly _tag: "refused"; readonly status: number; readonly error: string; readonly message: string }
    | {
        readonly _tag: "upstream"
        readonly url: URL
        readonly inject: ReadonlyArray<readonly [string, string]>
      }

  const refused = (status: number, error: string, message: string): Target => ({
    _tag: "refused",
    status,
    error,
    message
  })

  /** Where a surface sends the request, or why it may not: the gates of CONTRACT.md. */
  const resolveTarget = async (snapshot: EdgeSnapshot, surface: Surface, url: URL): Promise<Target> => {
    if (surface === "api") {
      const api = snapshot.api
      if (api === null || snapshot.gate.apiProxy === "closed_unconfigured")
        return refused(404, "not_found", "This site has no API proxy configured.")
      if (snapshot.gate.apiProxy === "closed_missing_token")
        return refused(503, "unavailable", "The API proxy has no API token yet.")
      const rest = url.pathname.slice("/~api".length) || "/"
      const base = new URL(api.origin)
      const target = new URL(`${base.origin}${base.pathname.replace(/\/+$/, "")}${rest}${url.search}`)
      if (api.authMode === "none") return { _tag: "upstream", url: target, inject: [] }
      const token =
        api.sealedToken === null || options.keys === undefined
          ? undefined
          : await options.keys.open(snapshot.slug, api.sealedToken)
      if (token === undefined)
        return refused(503, "unavailable", "The API proxy's token cannot be used here.")
      if (api.authMode === "bearer")
        return { _tag: "upstream", url: target, inject: [["authorization", `Bearer ${token}`]] }
      if (api.authMode === "header" && api.authHeaderName !== null)
        return { _tag: "upstream", url: target, inject: [[api.authHeaderName.toLowerCase(), token]] }
      if (api.authMode === "query" && api.authQueryParam !== null) {
        target.searchParams.set(api.authQueryParam, token)
        return { _tag: "upstream", url: target, inject: [] }
      }
      return refused(503, "unavailable", "The API proxy's authentication is incomplete.")
    }
    if (surface === "assets") {
      const match = /^\/~assets\/([^/]+)(\/.*)?$/.exec(url.pathname)
      const assetHost = match?.[1]
      const rest = match?.[2] ?? "/"
      if (assetHost === undefined) return refused(404, "not_found", "Name an asset host: /~assets/{host}/….")
      if (
        /%2f|%5c|%2e|\\/i.test(rest) ||
        rest.split("/").some((segment) => segment === ".." || segment === ".")
      )
        return refused(
          400,
          "validation_failed",
          "An asset path may not hold encoded slashes, dots or dot segments."
        )
      const allowed = assetHosts.get(String(snapshot.cms.cms)) ?? new Set<string>()
      if (!allowed.has(assetHost))
        return refused(404, "not_found", "That host is not one of this CMS's asset hosts.")
      return { _tag: "upstream", url: new URL(`https://${assetHost}${rest}${url.search}`), inject: [] }
    }
    if (snapshot.gate.siteProxy !== "open" || snapshot.websiteOrigin === null)
      return refused(404, "not_found", "This site is not served through the edge.")
    const origin = new URL(snapshot.websiteOrigin)
    return { _tag: "upstream", url: new URL(`${origin.origin}${url.pathname}${url.search}`), inject: [] }
  }

  return { handle, serve }
}

export type Edge = ReturnType<typeof makeEdge>

/** ORIGIN_OVERRIDES' JSON → origin → base URL; throws a sentence when it is not that. */
export const parseOriginOverrides = (raw: string | undefined): ReadonlyMap<string, URL> => {
  const overrides = new Map<string, URL>()
  if (raw === undefined || raw.trim() === "") return overrides
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new Error(
      'ORIGIN_OVERRIDES must be a JSON object such as {"https://www.acme.com":"http://127.0.0.1:9001"}'
    )
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new Error("ORIGIN_OVERRIDES must be a JSON object of origin → base URL")
  for (const [origin, base] of Object.entries(value)) {
    let from: URL
    let to: URL
    try {
      from = new URL(origin)
      to = new URL(String(base))
    } catch {
      throw new Error(`ORIGIN_OVERRIDES: "${origin}" → "${String(base)}" is not a pair of URLs`)
    }
    if (from.origin !== origin.replace(/\/$/, "") || !/^https?:$/.test(to.protocol))
      throw new Error(
        `ORIGIN_OVERRIDES: "${origin}" must be an origin (https://host[:port]) sent to an http(s) base URL`
      )
    overrides.set(from.origin, to)
  }
  return overrides
}
