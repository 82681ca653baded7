import type { AddressInfo } from "node:net"
import { makeEdge } from "../core.ts"
import { memoSource } from "../memo.ts"
import type { SnapshotSource } from "../ports.ts"
import { makeEdgeKeys } from "../seal.ts"
import { makeShipper } from "../shipper.ts"
import { memoryCache } from "./memoryCache.ts"
import { edgeServer } from "./server.ts"
import type { EdgeHostSettings } from "./settings.ts"
import { nodeUpstream } from "./upstream.ts"

/** How long a KV answer is reused: a snapshot change is served within this plus a read (< 2 s). */
export const snapshotTtlMs = 1000
const shipEveryMs = 100

/**
 * The Node host: the core over a KV (files or Redis, through `snapshots`), a byte-bounded
 * in-memory LRU, the guarded node:http upstream, and a shipper to TENANTRY_URL, behind a
 * node:http server on EDGE_HOST:EDGE_PORT. `close` stops serving, then ships what is left.
 */
export const startNodeEdge = async (options: {
  readonly settings: EdgeHostSettings
  readonly snapshots: SnapshotSource
  readonly sealKey: Uint8Array<ArrayBuffer> | undefined
  readonly token: string | undefined
}) => {
  const { settings } = options
  const shipper = makeShipper({ url: `${settings.tenantryUrl}/api/edge/logs`, token: options.token, fetch })
  const cache = memoryCache(settings.cacheBytes)
  const edge = makeEdge({
    proxyBaseDomain: settings.proxyBaseDomain,
    snapshots: memoSource(options.snapshots, snapshotTtlMs),
    cache,
    logs: shipper,
    upstream: nodeUpstream,
    keys: options.sealKey === undefined ? undefined : await makeEdgeKeys(options.sealKey),
    originOverrides: settings.originOverrides,
    upstreamTimeoutMs: settings.upstreamTimeoutMs
  })
  const server = edgeServer(edge)
  const ticker = setInterval(() => {
    shipper.flushDue().catch(() => undefined)
  }, shipEveryMs)
  ticker.unref()
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(settings.port, settings.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    shipper,
    cache,
    close: async () => {
      clearInterval(ticker)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await shipper.flush()
    }
  }
}
