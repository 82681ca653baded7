import { isIPv6, connect as netConnect, type Socket } from "node:net"
import type { Readable } from "node:stream"
import { connect as tlsConnect } from "node:tls"
import * as zlib from "node:zlib"
import { Effect, Layer, Result } from "effect"
import { type buildConnector, Client } from "undici"
import { Dns } from "../../application/ports/Dns.ts"
import {
  OutboundFailed,
  OutboundFetch,
  OutboundRefused,
  type OutboundRequest,
  type OutboundResponse,
  type OutboundRule,
  OutboundTimeout,
  OutboundTooLarge
} from "../../application/ports/OutboundFetch.ts"
import { addressVerdict, isAddressLiteral, nameVerdict } from "./addressRules.ts"
import type { OriginOverrides } from "./originOverrides.ts"

/**
 * The one outbound fetcher (port `OutboundFetch`), on undici. Per hop:
 * 1. the URL: http or https, no credentials; an origin named in ORIGIN_OVERRIDES goes to its
 *    target as it is (development and tests only); otherwise
 * 2. the host: a literal address must be public unicast (addressRules.ts); a name must not be
 *    a local one, and is resolved through the `resolve` given (the Dns port, honouring
 *    DNS_SERVERS); every answer must be public, or the hop is refused naming the address;
 * 3. the connection goes to the address that was checked (never resolved again, so a DNS
 *    answer that changes meanwhile changes nothing) and the peer's address is checked again
 *    once connected, before a byte of the request is written;
 * 4. redirects are followed by hand, at most 5, each hop checked from step 1.
 * One deadline covers every hop (10 s), one cap every body (2 MiB after decompression).
 */

export interface OutboundLimits {
  readonly deadlineMs: number
  readonly maxBodyBytes: number
  readonly maxRedirects: number
}

export const defaultOutboundLimits: OutboundLimits = {
  deadlineMs: 10_000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxRedirects: 5
}

/** Why a name has no address we may use. */
export type ResolveFailure = { readonly _tag: "NoAddress" | "Unanswered"; readonly message: string }

export interface OutboundFetchOptions {
  readonly overrides: OriginOverrides
  readonly production: boolean
  /** Every IPv4 and IPv6 address of a name (the Dns port). */
  readonly resolve: (name: string) => Effect.Effect<ReadonlyArray<string>, ResolveFailure>
  readonly limits?: Partial<OutboundLimits> | undefined
  /**
   * Opens the TCP connection to an address already checked (default: `net.connect`). Tests
   * replace it to watch which address is dialled without sending traffic off this machine.
   */
  readonly dial?: ((address: string, port: number) => Socket) | undefined
  readonly userAgent?: string | undefined
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])

/** Where one hop's connection goes. */
interface Route {
  /** The URL undici is asked for: the hop's own, or the override target's origin with its path. */
  readonly requestUrl: URL
  /** The `Host` to send when it differs from `requestUrl`'s (an override). */
  readonly host: string | undefined
  /** The address to dial, already checked; undefined for an override (dialled by name). */
  readonly address: string | undefined
}

/** Thrown by the connector when the peer is not an address we may talk to. */
class PeerRefusedError extends Error {
  readonly address: string
  readonly rule: OutboundRule
  constructor(address: string, rule: OutboundRule, detail: string) {
    super(`connected peer ${address} refused: ${detail}`)
    this.address = address
    this.rule = rule
  }
}

class BodyTooLargeError extends Error {}

const decoders: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  zstd: () => zlib.createZstdDecompress()
}

/** Reads a body, decompressing what Content-Encoding names, failing past `maxBytes`. */
const readBody = async (body: Readable, encoding: string | undefined, maxBytes: number): Promise<Buffer> => {
  const layers = (encoding ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "" && item !== "identity")
  let stream: NodeJS.ReadableStream = body
  for (const layer of layers.reverse()) {
    const decoder = decoders[layer]
    if (decoder === undefined) throw new Error(`unsupported content-encoding "${layer}"`)
    const next = decoder()
    stream.on("error", (error) => next.emit("error", error))
    stream = stream.pipe(next)
  }
  const chunks: Array<Buffer> = []
  let size = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBytes) throw new BodyTooLargeError()
      chunks.push(chunk)
    }
  } finally {
    if (!body.destroyed) body.destroy()
  }
  return Buffer.concat(chunks)
}

const mediaTypeOf = (contentType: string | undefined): string | null => {
  const type = contentType?.split(";")[0]?.trim().toLowerCase()
  return type === undefined || type === "" ? null : type
}

const charsetOf = (contentType: string | undefined): string => {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")
  return match?.[1]?.toLowerCase() ?? "utf-8"
}

const decodeText = (bytes: Buffer, contentType: string | undefined): string => {
  try {
    return new TextDecoder(charsetOf(contentType)).decode(bytes)
  } catch {
    return new TextDecoder("utf-8").decode(bytes)
  }
}

const flattenHeaders = (
  headers: Record<string, string | ReadonlyArray<string> | undefined>
): ReadonlyArray<readonly [string, string]> =>
  Object.entries(headers).flatMap(([name, value]) =>
    value === undefined
      ? []
      : typeof value === "string"
        ? [[name.toLowerCase(), value] as const]
        : value.map((item) => [name.toLowerCase(), item] as const)
  )

const errorMessage = (cause: unknown): string => {
  const error = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = error?.code ?? error?.cause?.code
  const message = error?.message ?? String(cause)
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message
}

export const makeOutboundFetch = (options: OutboundFetchOptions) => {
  const limits = { ...defaultOutboundLimits, ...options.limits }
  // Never in production, whatever the caller passed (settings refuse it at start too).
  const overrides: OriginOverrides = options.production ? new Map() : options.overrides
  const dial = options.dial ?? ((address: string, port: number) => netConnect({ host: address, port }))
  const userAgent = options.userAgent ?? "TenantryCheck/1.0 (+https://tenantry.dev/checks)"

  /** Steps 1 and 2: where a hop may go, or why not. */
  const route = (hop: number, url: URL) =>
    Effect.gen(function* () {
      const refuse = (rule: OutboundRule, message: string, address: string | null = null) =>
        Effect.fail(new OutboundRefused({ hop, url: url.href, address, rule, message }))
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return yield* refuse("scheme", `only http and https URLs are fetched, not ${url.protocol}`)
      }
      if (url.username !== "" || url.password !== "") {
        return yield* refuse("credentials", "a URL with credentials (user:password@) is not fetched")
      }
      const target = overrides.get(url.origin)
      if (target !== undefined) {
        const requestUrl = new URL(`${url.pathname}${url.search}`, target)
        return { requestUrl, host: url.host, address: undefined } satisfies Route
      }
      const host = url.hostname
      if (isAddressLiteral(host)) {
        const address = host.startsWith("[") ? host.slice(1, -1) : host
        const verdict = addressVerdict(address)
        if (!verdict.ok) return yield* refuse(verdict.rule, verdict.detail, address)
        return { requestUrl: url, host: undefined, address } satisfies Route
      }
      const named = nameVerdict(host)
      if (!named.ok) return yield* refuse(named.rule, named.detail)
      const addresses = yield* options
        .resolve(host.replace(/\.$/, ""))
        .pipe(
          Effect.mapError(
            (failure) => new OutboundFailed({ hop, url: url.href, message: `${host}: ${failure.message}` })
          )
        )
      if (addresses.length === 0) {
        return yield* Effect.fail(
          new OutboundFailed({ hop, url: url.href, message: `${host} has no address` })
        )
      }
      for (const address of addresses) {
        const verdict = addressVerdict(address)
        if (!verdict.ok) {
          return yield* refuse(verdict.rule, `${host} resolves to ${address}: ${verdict.detail}`, address)
        }
      }
      // Every answer passed; dial the first IPv4 one (else the first IPv6), exactly as checked.
      const address = addresses.find((item) => !isIPv6(item)) ?? addresses[0]!
      return { requestUrl: url, host: undefined, address } satisfies Route
    })

  /** Step 3: a connector that dials the checked address and checks the peer before any byte goes out. */
  const connector =
    (route: Route): buildConnector.connector =>
    (connectOptions, callback) => {
      let settled = false
      const finish = (error: Error | null, socket: Socket | null) => {
        if (settled) return
        settled = true
        if (error !== null) callback(error, null)
        else callback(null, socket!)
      }
      const https = connectOptions.protocol === "https:"
      const port = Number(connectOptions.port) || (https ? 443 : 80)
      const raw =
        route.address === undefined
          ? netConnect({ host: connectOptions.hostname, port })
          : dial(route.address, port)
      raw.setNoDelay(true)
      raw.once("error", (error) => finish(error, null))
      raw.once("connect", () => {
        if (route.address !== undefined) {
          const peer = raw.remoteAddress ?? ""
          const verdict = addressVerdict(peer)
          if (!verdict.ok) {
            raw.destroy()
            finish(new PeerRefusedError(peer, verdict.rule, verdict.detail), null)
            return
          }
        }
        if (!https) {
          finish(null, raw)
          return
        }
        const servername =
          route.host === undefined ? connectOptions.hostname : route.host.replace(/:\d+$/, "")
        // The certificate is checked against the name (or the literal address) the URL gave.
        const secure = tlsConnect({
          socket: raw,
          host: servername.replace(/^\[|\]$/g, ""),
          servername: isAddressLiteral(servername) ? undefined : servername,
          ALPNProtocols: ["http/1.1"]
        })
        secure.once("error", (error) => finish(error, null))
        secure.once("secureConnect", () => finish(null, secure))
      })
    }

  /** One hop: the request, and its body read (or drained) within the cap. */
  const send = (hop: number, url: URL, route: Route, request: OutboundRequest, signal: AbortSignal) =>
    Effect.tryPromise({
      try: async () => {
        const client = new Client(route.requestUrl.origin, { connect: connector(route), pipelining: 0 })
        try {
          const response = await client.request({
            path: `${route.requestUrl.pathname}${route.requestUrl.search}`,
            method: "GET",
            signal,
            headers: {
              "user-agent": userAgent,
              accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
              "accept-encoding": "gzip, deflate, br",
              ...request.headers,
              ...(route.host === undefined ? {} : { host: route.host })
            }
          })
          const headers = flattenHeaders(response.headers)
          const contentType = headers.find(([name]) => name === "content-type")?.[1]
          const mediaType = mediaTypeOf(contentType)
          const encoding = headers.find(([name]) => name === "content-encoding")?.[1]
          const declared = Number(headers.find(([name]) => name === "content-length")?.[1] ?? Number.NaN)
          const wantHtml = (request.body ?? "html") === "html" && mediaType === "text/html"
          if (!wantHtml || redirectStatuses.has(response.statusCode)) {
            // Drained (within the cap) so the answer is complete; its bytes are not kept.
            await readBody(response.body, undefined, limits.maxBodyBytes).catch((cause) => {
              if (cause instanceof BodyTooLargeError) throw cause
            })
            return { status: response.statusCode, headers, mediaType, html: null }
          }
          if (encoding === undefined && declared > limits.maxBodyBytes) {
            response.body.destroy()
            throw new BodyTooLargeError()
          }
          const bytes = await readBody(response.body, encoding, limits.maxBodyBytes)
          return { status: response.statusCode, headers, mediaType, html: decodeText(bytes, contentType) }
        } finally {
          void client.destroy().catch(() => {})
        }
      },
      catch: (cause) => {
        if (cause instanceof BodyTooLargeError) {
          return new OutboundTooLarge({ hop, url: url.href, maxBytes: limits.maxBodyBytes })
        }
        const peer = cause instanceof PeerRefusedError ? cause : (cause as { cause?: unknown })?.cause
        if (peer instanceof PeerRefusedError) {
          return new OutboundRefused({
            hop,
            url: url.href,
            address: peer.address,
            rule: "peer_address",
            message: `${peer.message} (rule ${peer.rule})`
          })
        }
        return new OutboundFailed({ hop, url: url.href, message: errorMessage(cause) })
      }
    })

  const get = (
    request: OutboundRequest
  ): Effect.Effect<
    OutboundResponse,
    OutboundRefused | OutboundTimeout | OutboundTooLarge | OutboundFailed
  > => {
    let hop = 0
    let current = request.url
    const started = performance.now()
    const run = Effect.gen(function* () {
      let url: URL
      try {
        url = new URL(request.url)
      } catch {
        return yield* Effect.fail(
          new OutboundRefused({
            hop: 0,
            url: request.url,
            address: null,
            rule: "invalid_url",
            message: "not an absolute URL"
          })
        )
      }
      const redirects: Array<string> = []
      for (;;) {
        current = url.href
        const target = yield* route(hop, url)
        const answer = yield* Effect.suspend(() => {
          const controller = new AbortController()
          return send(hop, url, target, request, controller.signal).pipe(
            Effect.onInterrupt(() => Effect.sync(() => controller.abort()))
          )
        })
        const location = answer.headers.find(([name]) => name === "location")?.[1]
        if (
          (request.followRedirects ?? true) &&
          redirectStatuses.has(answer.status) &&
          location !== undefined
        ) {
          if (redirects.length >= limits.maxRedirects) {
            return yield* Effect.fail(
              new OutboundRefused({
                hop,
                url: url.href,
                address: null,
                rule: "too_many_redirects",
                message: `more than ${limits.maxRedirects} redirects`
              })
            )
          }
          let next: URL
          try {
            next = new URL(location, url)
          } catch {
            return yield* Effect.fail(
              new OutboundFailed({ hop, url: url.href, message: `unusable Location "${location}"` })
            )
          }
          redirects.push(url.href)
          hop += 1
          url = next
          continue
        }
        return {
          url: url.href,
          status: answer.status,
          headers: answer.headers,
          mediaType: answer.mediaType,
          html: answer.html,
          durationMs: Math.round(performance.now() - started),
          redirects
        } satisfies OutboundResponse
      }
    })
    return run.pipe(
      Effect.timeoutOrElse({
        duration: limits.deadlineMs,
        orElse: () => Effect.fail(new OutboundTimeout({ hop, url: current, afterMs: limits.deadlineMs }))
      })
    )
  }

  return OutboundFetch.of({ get: (request) => get(request).pipe(Effect.withSpan("OutboundFetch.get")) })
}

/**
 * Every address of a name, through the `Dns` port (so DNS_SERVERS applies, as for the domain
 * checks): A and AAAA asked together; an answer of either is enough, since only the addresses
 * found are ever dialled; nothing found is `NoAddress`, nobody answering `Unanswered`.
 */
export const resolveThrough =
  (dns: Dns["Service"]): OutboundFetchOptions["resolve"] =>
  (name) =>
    Effect.all([Effect.result(dns.resolve4(name)), Effect.result(dns.resolve6(name))], {
      concurrency: 2
    }).pipe(
      Effect.flatMap(([v4, v6]) => {
        const found = [
          ...(Result.isSuccess(v4) ? v4.success : []),
          ...(Result.isSuccess(v6) ? v6.success : [])
        ]
        if (found.length > 0) return Effect.succeed(found)
        const unanswered = [v4, v6].find(
          (result) => Result.isFailure(result) && result.failure._tag === "DnsUnanswered"
        )
        return Effect.fail<ResolveFailure>(
          unanswered !== undefined && Result.isFailure(unanswered)
            ? {
                _tag: "Unanswered",
                message: `DNS did not answer (${(unanswered.failure as { reason: string }).reason})`
              }
            : { _tag: "NoAddress", message: "DNS knows no address for this name" }
        )
      })
    )

/** The fetcher on the `Dns` port. */
export const layer = (options: Omit<OutboundFetchOptions, "resolve">) =>
  Layer.effect(
    OutboundFetch,
    Effect.map(Dns, (dns) => makeOutboundFetch({ ...options, resolve: resolveThrough(dns) }))
  )
