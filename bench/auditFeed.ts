/**
 * bench:audit-feed (issue 18), on PostgreSQL. Three measurements, each beside its baseline
 * measured in the same run:
 *
 * 1. Catch-up: one NDJSON consumer of a tenant's feed over HTTP replaying BENCH_FEED_EVENTS
 *    (default 1,000,000) events, against the event store's own `readAll` loop over the same
 *    database in this process (what the feed reads through, without HTTP and JSON).
 * 2. Commit → delivery on live streams: BENCH_FEED_CONSUMERS (default 100) NDJSON consumers
 *    of one tenant while cache bumps are appended every 20 ms; latency from the bump's answer
 *    (its commit acknowledged) and from its request, p50/p99, against 1 consumer alone.
 * 3. Appends with the hash chain against the same statement without it (the statement before
 *    migration 0011, kept below as the baseline): 8 writers, single-event appends, alternated.
 *
 * Usage: npm run bench:audit-feed   (BENCH_DATABASE_URL, BENCH_FEED_EVENTS, BENCH_FEED_CONSUMERS,
 * BENCH_DURATION_MS as in bench/README.md)
 */
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as Database from "../adapters/sql/Database.ts"
import * as SqlEventStore from "../adapters/sql/SqlEventStore.ts"
import { type AppendRequest, EventStore, startOfLog } from "../application/ports/EventStore.ts"
import { startServer } from "./serverProcess.ts"
import {
  configUpdatedEvent,
  databaseLayer,
  durationMillis,
  fmtMs,
  fmtRate,
  log,
  metadata,
  now,
  percentile,
  printTable,
  type Row
} from "./support.ts"

const feedEvents = Number(process.env.BENCH_FEED_EVENTS ?? 1_000_000)
const consumers = Number(process.env.BENCH_FEED_CONSUMERS ?? 100)
const rows: Array<Row> = []

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field
const json = async (response: Response): Promise<any> => {
  const body = await response.json()
  if (!response.ok) throw new Error(`${response.status} ${JSON.stringify(body)}`)
  return body
}

/** Reads an NDJSON feed, calling `onEvent` per event line, until `stop` says so; answers how many. */
const readFeed = async (
  url: string,
  token: string,
  onEvent: (event: { id: number; data: Record<string, unknown> }) => boolean
) => {
  const abort = new AbortController()
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: "application/x-ndjson" },
    signal: abort.signal
  })
  if (!response.ok) throw new Error(`feed ${response.status}`)
  const decoder = new TextDecoder()
  let buffer = ""
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let newline = buffer.indexOf("\n")
      let start = 0
      while (newline !== -1) {
        if (newline > start && onEvent(JSON.parse(buffer.slice(start, newline)))) return
        start = newline + 1
        newline = buffer.indexOf("\n", start)
      }
      buffer = buffer.slice(start)
    }
  } finally {
    abort.abort()
  }
}

const feedRows = async () => {
  const server = await startServer("postgres", { AUDIT_FEED_STREAMS_PER_USER: String(consumers + 10) })
  try {
    const token = await server.token("user_bench_feed")
    const slug = `feed-bench-${Date.now().toString(36)}`
    await json(
      await fetch(`${server.base}/api/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ slug, cms: "generic", apiOrigin: "https://api.example.com" })
      })
    )
    const tenant = await json(
      await fetch(`${server.base}/api/tenants/${slug}`, { headers: { authorization: `Bearer ${token}` } })
    )
    const tenantId = tenant.value.tenantId as string
    const bump = () =>
      fetch(`${server.base}/api/tenants/${slug}/refresh-cache`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "api" })
      }).then(json)
    await bump()
    const database = Database.layer({ _tag: "postgres", url: server.databaseUrl!, maxConnections: 2 })

    // 1M CacheVersionsBumped events of the tenant, written straight into the log (as a bulk
    // load; their hashes are placeholders, the feed does not recompute them).
    log(`loading ${feedEvents.toLocaleString("en-US")} events`)
    const loadStarted = now()
    await Effect.runPromise(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const stream = `bulk-${tenantId}`
        yield* sql`INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata, recorded_at, hash, prev_hash)
          SELECT ${stream}, n, ${tenantId}, 'CacheVersionsBumped', 1,
            jsonb_build_object('tenantId', ${tenantId}::text, 'target', 'api', 'at', '2026-12-05T08:00:00.000Z',
              'versions', jsonb_build_object('apiCacheVersion', n + 1, 'assetCacheVersion', 1, 'htmlCacheVersion', 1)),
            ${JSON.stringify(metadata)}::jsonb, now(), sha256(n::text::bytea), sha256((n - 1)::text::bytea)
          FROM generate_series(1, ${feedEvents}) AS n`
        yield* sql`INSERT INTO streams (stream_id, tenant_id, version) VALUES (${stream}, ${tenantId}, ${feedEvents})`
        yield* sql`ANALYZE events`
      }).pipe(Effect.provide(database), Effect.orDie)
    )
    log(`loaded in ${((now() - loadStarted) / 1000).toFixed(1)} s`)

    // Baseline: the event store's readAll over the tenant (batches of 1,000), in process.
    const baseline = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* EventStore
        const started = now()
        let checkpoint = startOfLog
        let count = 0
        for (;;) {
          const batch = yield* store.readAll(checkpoint, 1_000, { tenantIds: [tenantId] })
          if (batch.events.length === 0) break
          count += batch.events.length
          checkpoint = batch.checkpoint
        }
        return { count, seconds: (now() - started) / 1000 }
      }).pipe(Effect.provide(SqlEventStore.layer([]).pipe(Layer.provideMerge(database))))
    )
    rows.push({
      engine: "postgres",
      row: "1. catch-up baseline: readAll in process",
      measured: fmtRate(baseline.count / baseline.seconds),
      target: "(baseline)",
      notes: `${baseline.count.toLocaleString("en-US")} events in ${baseline.seconds.toFixed(1)} s`
    })
    const total = baseline.count
    log("catch-up over HTTP")
    const started = now()
    let received = 0
    await readFeed(`${server.base}/api/tenants/${slug}/audit-events/stream`, token, () => ++received >= total)
    const seconds = (now() - started) / 1000
    rows.push({
      engine: "postgres",
      row: "1. catch-up: one NDJSON consumer over HTTP",
      measured: fmtRate(received / seconds),
      target: "≥ 50,000 ev/s",
      met: received / seconds >= 50_000,
      notes: `${received.toLocaleString("en-US")} events in ${seconds.toFixed(1)} s`
    })

    // Live: consumers after the head, bumps every 20 ms.
    let headId = (
      await json(
        await fetch(`${server.base}/api/tenants/${slug}/audit-events/head`, {
          headers: { authorization: `Bearer ${token}` }
        })
      )
    ).id as number
    for (const count of [1, consumers]) {
      log(`live: ${count} consumers`)
      const sent = new Map<number, number>()
      const acked = new Map<number, number>()
      const fromAck: Array<number> = []
      const fromSend: Array<number> = []
      const bumps = Math.max(20, Math.round(durationMillis / 20))
      const first = (await bump()).versions.apiCacheVersion as number
      const target = first + bumps
      const feeds = Array.from({ length: count }, () =>
        readFeed(`${server.base}/api/tenants/${slug}/audit-events/stream?after=${headId}`, token, (event) => {
          const at = now()
          const version = (event.data.versions as { apiCacheVersion: number }).apiCacheVersion
          const start = sent.get(version)
          if (start !== undefined) {
            const ack = acked.get(version)
            fromSend.push(at - start)
            // Delivered before the answer reached the writer: within the commit's own round trip.
            fromAck.push(ack === undefined ? 0 : Math.max(0, at - ack))
          }
          return version >= target
        })
      )
      await new Promise((resolve) => setTimeout(resolve, 300))
      for (let i = 0; i < bumps; i++) {
        const t = now()
        sent.set(first + i + 1, t)
        const reply = await bump()
        acked.set(reply.versions.apiCacheVersion as number, now())
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await Promise.all(feeds)
      const a = [...fromAck].sort((x, y) => x - y)
      const s = [...fromSend].sort((x, y) => x - y)
      rows.push({
        engine: "postgres",
        row: `2. commit → delivery, ${count} consumer${count === 1 ? "" : "s"}`,
        measured: `p50 ${fmtMs(percentile(a, 50))}, p99 ${fmtMs(percentile(a, 99))} (from request: p50 ${fmtMs(percentile(s, 50))}, p99 ${fmtMs(percentile(s, 99))})`,
        target: count === 1 ? "(baseline)" : "(no target)",
        notes: `${fromAck.length} deliveries of ${bumps} bumps, 1 per 20 ms`
      })
      headId = (
        await json(
          await fetch(`${server.base}/api/tenants/${slug}/audit-events/head`, {
            headers: { authorization: `Bearer ${token}` }
          })
        )
      ).id as number
    }
  } finally {
    await server.close()
  }
}

/** The append statement before migration 0011 (no chain), for the baseline row: same tables, same shape. */
const appendWithoutChain = (sql: SqlClient.SqlClient, request: AppendRequest) =>
  sql`
    WITH request AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify([
        {
          stream_id: request.streamId,
          tenant_id: request.tenantId,
          expected: request.expectedVersion,
          events: request.events,
          metadata: request.metadata
        }
      ])}::jsonb) AS r(stream_id text, tenant_id text, expected int, events jsonb, metadata jsonb)
    ), stream AS (
      INSERT INTO streams (stream_id, tenant_id, version)
      SELECT r.stream_id, r.tenant_id, r.expected + jsonb_array_length(r.events) FROM request r
      WHERE (r.expected = 0 OR (SELECT true FROM streams s WHERE s.stream_id = r.stream_id))
      ORDER BY r.stream_id
      ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
        WHERE streams.version = (SELECT r.expected FROM request r WHERE r.stream_id = EXCLUDED.stream_id)
      RETURNING stream_id
    )
    INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
    SELECT r.stream_id, r.expected + e.ordinality::int, r.tenant_id, e.value->>'type',
           (e.value->>'schemaVersion')::int, e.value->'data', coalesce(e.value->'metadata', r.metadata)
    FROM stream JOIN request r USING (stream_id),
         jsonb_array_elements(r.events) WITH ORDINALITY AS e(value, ordinality)
    ORDER BY r.stream_id, e.ordinality
    RETURNING position, transaction_id::text AS transaction_id, stream_id, stream_version, recorded_at`

const appendRows = () =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const sql = yield* SqlClient.SqlClient
    const writers = 8
    const measure = (
      label: string,
      round: number,
      append: (request: AppendRequest) => Effect.Effect<unknown>
    ) =>
      Effect.gen(function* () {
        let appended = 0
        const deadline = now() + durationMillis
        yield* Effect.forEach(
          Array.from({ length: writers }, (_, w) => w),
          (w) =>
            Effect.gen(function* () {
              const streamId = `append-${label}-${round}-${w}`
              let version = 0
              while (now() < deadline) {
                yield* append({
                  streamId,
                  tenantId: "tnt_bench0000000001",
                  expectedVersion: version,
                  events: [configUpdatedEvent(version)],
                  metadata
                })
                version++
                appended++
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
        return appended / (durationMillis / 1000)
      })
    const chained: Array<number> = []
    const plain: Array<number> = []
    // Warm-up (connections, plans, the JIT), not counted.
    yield* measure("warm", 0, (request) => Effect.orDie(store.append(request)))
    for (let round = 0; round < 3; round++) {
      plain.push(yield* measure("plain", round, (request) => Effect.orDie(appendWithoutChain(sql, request))))
      chained.push(yield* measure("chain", round, (request) => Effect.orDie(store.append(request))))
    }
    const best = (values: ReadonlyArray<number>) => Math.max(...values)
    rows.push({
      engine: "postgres",
      row: "3. append baseline: statement without the chain, 8 writers",
      measured: fmtRate(best(plain)),
      target: "(baseline)",
      notes: `best of 3 rounds: ${plain.map((v) => Math.round(v)).join(", ")}`
    })
    rows.push({
      engine: "postgres",
      row: "3. append with the hash chain, 8 writers",
      measured: `${fmtRate(best(chained))} (${(best(chained) / best(plain)).toFixed(2)}×)`,
      target: "≥ 0.9× the baseline",
      met: best(chained) / best(plain) >= 0.9,
      notes: `best of 3 rounds: ${chained.map((v) => Math.round(v)).join(", ")}; the store's append (chain bodies in JS, links in SQL)`
    })
  }).pipe(Effect.provide(SqlEventStore.layer([]).pipe(Layer.provideMerge(databaseLayer("postgres")))))

log("append rows")
await Effect.runPromise(appendRows())
await feedRows()
printTable(rows)
