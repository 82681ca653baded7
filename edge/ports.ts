import type { RequestLogRecord } from "../domain/edge/requestLog.ts"

/**
 * The edge core's three ports. Each host (Node: edge/node/, Cloudflare Workers:
 * edge/worker.ts) implements them over what it has; the core (edge/core.ts) knows only these.
 */

/** The KV the control plane writes: `proxy:{slug}` snapshots and `host:{hostname}` routes. */
export interface SnapshotSource {
  /** The value's text, or null when the key is absent. */
  readonly get: (key: string) => Promise<string | null>
}

/** A response kept whole in the cache. */
export interface CachedResponse {
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Uint8Array
  /** Epoch milliseconds when stored. */
  readonly storedAt: number
  /** Seconds it may be served for. */
  readonly ttl: number
}

/** Where cacheable answers are kept, under keys that carry the surface's cache version. */
export interface EdgeCache {
  readonly get: (key: string) => Promise<CachedResponse | undefined>
  readonly put: (key: string, entry: CachedResponse) => Promise<void>
}

/** Where each served request's record goes (a shipper batches them to the control plane). */
export interface LogSink {
  readonly push: (record: RequestLogRecord) => void
}

/**
 * How the core reaches an upstream: the host's own fetch. `connectTo`, when set, is the
 * base URL the connection goes to instead of `url`'s origin (ORIGIN_OVERRIDES); the request
 * keeps `url`'s Host. A host that resolves names refuses private addresses itself by
 * throwing `UpstreamRefused`.
 */
export type UpstreamFetch = (request: {
  readonly url: URL
  readonly connectTo: URL | undefined
  readonly method: string
  readonly headers: Headers
  readonly body: ReadableStream<Uint8Array> | null
  readonly signal: AbortSignal
}) => Promise<Response>

/** An upstream whose address is private, loopback or link-local: never connected to. */
export class UpstreamRefused extends Error {
  override readonly name = "UpstreamRefused"
}
