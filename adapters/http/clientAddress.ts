import { isIP } from "node:net"
import type { HttpServerRequest } from "effect/http"
import { rawHeader } from "./rawHeaders.ts"

/** `[v6]:port` or `v4:port`, as some proxies write an address. */
const withPort = /^\[([^\]]+)\]:\d+$|^([^:]+):\d+$/

const address = (entry: string): string | undefined => {
  const trimmed = entry.trim()
  if (isIP(trimmed) !== 0) return trimmed
  const match = withPort.exec(trimmed)
  const bare = match?.[1] ?? match?.[2]
  return bare !== undefined && isIP(bare) !== 0 ? bare : undefined
}

/**
 * The client a request comes from, for per-client rate limits. With no trusted proxy
 * (`trustedProxies` 0) it is the socket's peer: nothing the client sends can change it.
 *
 * Behind `trustedProxies` proxies, each of which appends the address it received the
 * request from to `X-Forwarded-For`, the hops read from the right are: the entry our
 * nearest proxy appended (the address that connected to it), then the one the proxy
 * before it appended, and so on; everything further left was written by the client and
 * proves nothing. So the client is the right-most entry no trusted proxy is standing in
 * for: the `trustedProxies`-th from the right (with one proxy, the right-most entry). The
 * entries left of it are never read: a client that sends its own `X-Forwarded-For` only
 * adds entries there. With fewer entries than that (a request that did not pass every
 * proxy) the left-most is taken; with none, or one that is not an IP address, the
 * socket's peer. This is the same entry Express's `trust proxy` with a hop count picks.
 */
export const clientAddress = (
  request: HttpServerRequest.HttpServerRequest,
  trustedProxies: number
): string => {
  const peer = (request.source as { socket?: { remoteAddress?: string } }).socket?.remoteAddress ?? "unknown"
  if (trustedProxies <= 0) return peer
  const forwarded = rawHeader(request, "x-forwarded-for")
  if (forwarded === undefined || forwarded === "") return peer
  const entries = forwarded.split(",")
  const entry = entries[Math.max(0, entries.length - trustedProxies)]!
  return address(entry) ?? peer
}
