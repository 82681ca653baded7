import type { RequestLogRecord } from "../domain/edge/requestLog.ts"
import type { LogSink } from "./ports.ts"

/**
 * Ships request log records to the control plane (`POST {TENANTRY_URL}/api/edge/logs`):
 * batches of at most `maxBatch` records (1,000) or `maxWaitMs` (1 s) old, one record a
 * line (NDJSON), gzip, each batch with its own `X-Batch-Id` (kept across its retries, so
 * a batch that arrived but whose answer was lost is not stored twice). While the control
 * plane is away a batch is retried with backoff (250 ms doubling to 30 s, with jitter);
 * the buffer is bounded (`maxBuffer` records) and what it cannot hold is dropped and
 * counted, never silently: the count goes out on the next batch as `X-Dropped-Records`
 * (records dropped since the last batch the control plane acknowledged), and in `stats()`.
 * A batch refused for good (4xx other than 408/429: a bad token, a body too large) is
 * dropped and counted the same way.
 */
export interface ShipperOptions {
  /** The ingestion URL. */
  readonly url: string
  readonly token: string | undefined
  readonly fetch: typeof fetch
  readonly maxBatch?: number
  readonly maxWaitMs?: number
  readonly maxBuffer?: number
  readonly minBackoffMs?: number
  readonly maxBackoffMs?: number
  readonly now?: () => number
}

export interface ShipperStats {
  readonly buffered: number
  readonly shipped: number
  readonly dropped: number
  readonly batches: number
  readonly failures: number
}

export interface Shipper extends LogSink {
  /** Ships a batch if one is due (full, or its oldest record `maxWaitMs` old) and no retry is waiting. */
  readonly flushDue: () => Promise<void>
  /** Ships everything buffered now (one batch after another), retries aside. */
  readonly flush: () => Promise<void>
  /** How long until a batch is due (0: now; Infinity: nothing buffered). */
  readonly dueInMs: () => number
  readonly stats: () => ShipperStats
}

const sendTimeoutMs = 15_000

const gzip = async (text: string): Promise<Uint8Array> => {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

export const makeShipper = (options: ShipperOptions): Shipper => {
  const now = options.now ?? Date.now
  const maxBatch = options.maxBatch ?? 1000
  const maxWaitMs = options.maxWaitMs ?? 1000
  const maxBuffer = options.maxBuffer ?? 100_000
  const minBackoff = options.minBackoffMs ?? 250
  const maxBackoff = options.maxBackoffMs ?? 30_000
  let buffer: Array<RequestLogRecord> = []
  let oldestAt = 0
  /** The batch being shipped (or waiting for its retry), with its id. */
  let pending: { readonly id: string; readonly records: ReadonlyArray<RequestLogRecord> } | undefined
  let inFlight: Promise<void> | undefined
  let retryAt = 0
  let backoff = minBackoff
  let droppedUnreported = 0
  let shipped = 0
  let dropped = 0
  let batches = 0
  let failures = 0

  const drop = (count: number) => {
    dropped += count
    droppedUnreported += count
  }

  const send = async (batch: { readonly id: string; readonly records: ReadonlyArray<RequestLogRecord> }) => {
    const reporting = droppedUnreported
    const body = await gzip(`${batch.records.map((record) => JSON.stringify(record)).join("\n")}\n`)
    const headers: Record<string, string> = {
      "content-type": "application/x-ndjson",
      "content-encoding": "gzip",
      "x-batch-id": batch.id,
      "x-dropped-records": String(reporting)
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let status: number
    try {
      const response = await options.fetch(options.url, {
        method: "POST",
        headers,
        body,
        // A control plane that accepts the connection and never answers is "away" too.
        signal: AbortSignal.timeout(sendTimeoutMs)
      })
      status = response.status
      await response.body?.cancel().catch(() => undefined)
    } catch {
      status = 0
    }
    if (status >= 200 && status < 300) {
      shipped += batch.records.length
      batches += 1
      droppedUnreported -= reporting
      backoff = minBackoff
      pending = undefined
      return
    }
    failures += 1
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      // Refused for good: retrying the same bytes cannot succeed.
      pending = undefined
      drop(batch.records.length)
      return
    }
    retryAt = now() + backoff * (0.5 + Math.random() / 2)
    backoff = Math.min(maxBackoff, backoff * 2)
  }

  const takeBatch = () => {
    if (pending !== undefined || buffer.length === 0) return
    const records = buffer.slice(0, maxBatch)
    buffer = buffer.slice(records.length)
    oldestAt = now()
    pending = { id: crypto.randomUUID(), records }
  }

  const dueInMs = () => {
    if (pending !== undefined) return Math.max(0, retryAt - now())
    if (buffer.length === 0) return Infinity
    return buffer.length >= maxBatch ? 0 : Math.max(0, oldestAt + maxWaitMs - now())
  }

  const run = (force: boolean): Promise<void> => {
    if (inFlight !== undefined) return inFlight
    if (!force && dueInMs() > 0) return Promise.resolve()
    if (pending === undefined) takeBatch()
    const batch = pending
    if (batch === undefined) return Promise.resolve()
    inFlight = send(batch).finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  return {
    push: (record) => {
      if (buffer.length + (pending?.records.length ?? 0) >= maxBuffer) {
        drop(1)
        return
      }
      if (buffer.length === 0) oldestAt = now()
      buffer.push(record)
    },
    flushDue: () => run(false),
    flush: async () => {
      while (buffer.length > 0 || pending !== undefined) {
        const before = failures
        await run(true)
        if (failures > before) return
      }
    },
    dueInMs,
    stats: () => ({
      buffered: buffer.length + (pending?.records.length ?? 0),
      shipped,
      dropped,
      batches,
      failures
    })
  }
}
