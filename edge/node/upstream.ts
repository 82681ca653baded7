import { lookup as dnsLookup, type LookupAddress } from "node:dns"
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"
import type { LookupFunction } from "node:net"
import { pipeline, Readable } from "node:stream"
import { isPrivateAddress } from "../address.ts"
import { type UpstreamFetch, UpstreamRefused } from "../ports.ts"

/**
 * Resolves like node's own lookup, then refuses any private, loopback or link-local
 * address: checked on the addresses actually connected to, so a name that resolves to
 * a public address once and a private one later (DNS rebinding) is still refused.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, "", 4)
    const list = addresses as unknown as ReadonlyArray<LookupAddress>
    const refused = list.find((entry) => isPrivateAddress(entry.address))
    if (refused !== undefined || list.length === 0) {
      return callback(new UpstreamRefused(`${hostname} resolves to a private address`), "", 4)
    }
    if (options.all === true)
      return (callback as unknown as (e: null, a: ReadonlyArray<LookupAddress>) => void)(null, list)
    const first = list[0] as LookupAddress
    callback(null, first.address, first.family)
  })
}

const keepAlive = { keepAlive: true, maxSockets: 256 }
const guardedHttp = new HttpAgent({ ...keepAlive, lookup: guardedLookup })
const guardedHttps = new HttpsAgent({ ...keepAlive, lookup: guardedLookup })
const directHttp = new HttpAgent(keepAlive)
const directHttps = new HttpsAgent(keepAlive)

/**
 * The Node host's upstream: node:http(s) with the guarded lookup (overrides connect
 * straight to their local base URL, unguarded), bodies streamed both ways, no redirect
 * followed (a redirect is the origin's answer, passed on).
 */
export const nodeUpstream: UpstreamFetch = (request) =>
  new Promise<Response>((resolve, reject) => {
    const connect = request.connectTo
    const secure = (connect ?? request.url).protocol === "https:"
    const base = connect === undefined ? "" : connect.pathname.replace(/\/+$/, "")
    const headers: Record<string, string> = {}
    for (const [name, value] of request.headers) headers[name] = value
    headers.host = request.url.host
    const make = secure ? httpsRequest : httpRequest
    const outgoing = make(
      {
        host: (connect ?? request.url).hostname.replace(/^\[|\]$/g, ""),
        port: (connect ?? request.url).port || (secure ? 443 : 80),
        method: request.method,
        path: `${base}${request.url.pathname}${request.url.search}`,
        headers,
        servername: connect === undefined ? request.url.hostname : undefined,
        agent:
          connect === undefined ? (secure ? guardedHttps : guardedHttp) : secure ? directHttps : directHttp,
        signal: request.signal
      },
      (incoming: IncomingMessage) => {
        const responseHeaders = new Headers()
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
          responseHeaders.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string)
        }
        const status = incoming.statusCode ?? 502
        const empty = request.method === "HEAD" || status === 204 || status === 205 || status === 304
        if (empty) incoming.resume()
        resolve(
          new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), {
            status: status < 200 || status > 599 ? 502 : status,
            statusText: incoming.statusMessage ?? "",
            headers: responseHeaders
          })
        )
      }
    )
    outgoing.on("error", (error) => reject(error))
    if (request.body === null) outgoing.end()
    else {
      // pipeline, not pipe: a request body that fails (the client gone, the host's bound passed)
      // aborts the upstream request instead of leaving it waiting for the rest.
      pipeline(
        Readable.fromWeb(request.body as import("node:stream/web").ReadableStream),
        outgoing,
        (error) => {
          if (error) outgoing.destroy(error)
        }
      )
    }
  })
