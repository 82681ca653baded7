import { Effect, Option, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { isRedacted } from "../../application/audit/auditEntry.ts"
import { brokenLink, fieldDigests } from "../../application/audit/chain.ts"
import type { RecordedEvent } from "../../application/ports/EventStore.ts"
import { type EventRow, eventColumns, toRecordedEvent } from "./rows.ts"

/** Events read per query by the walks below. */
const batch = 2_000

/** One broken link: the event where a stream's chain stops holding, and why. */
export interface BrokenLink {
  readonly id: number | null
  readonly stream: string
  readonly version: number | null
  readonly problem: string
}

export interface Verification {
  readonly streams: number
  readonly events: number
  /** The first broken link of each stream that has one, by id. */
  readonly broken: ReadonlyArray<BrokenLink>
}

/** The tenant a slug named, live or deleted (the newest tenant created with it). */
export const tenantIdOfSlug = (slug: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ tenant_id: string }>`SELECT tenant_id FROM events
      WHERE type = 'TenantCreated' AND data->>'slug' = ${slug} ORDER BY position DESC LIMIT 1`
    return rows[0]?.tenant_id
  }).pipe(Effect.orDie)

/**
 * Walks every stream's chain (of one tenant, or all), each in version order: versions 1..n
 * without a gap, ids rising, each `prevHash` the previous event's `hash`, each `hash` the
 * SHA-256 of `prevHash` and the event's canonical body as stored now; and the stream row's
 * version and head hash are its last event's. An edited row breaks its own hash; a removed
 * one leaves a gap (or a head the log no longer reaches); rows swapped within a stream break
 * the version order or the hashes. What it cannot see: a writer with database access who
 * rewrites a stream's every later hash and its head; compare heads with ones kept elsewhere
 * (`GET …/audit-events/head`, an earlier export) for that.
 */
export const verifyChains = (tenantId?: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const scope = tenantId === undefined ? sql`` : sql`AND tenant_id = ${tenantId}`
    const heads = new Map(
      (yield* sql<{ stream_id: string; version: number; head: string }>`
        SELECT stream_id, version, encode(head_hash, 'hex') AS head FROM streams WHERE true ${scope}`).map(
        (row) => [row.stream_id, { version: Number(row.version), hash: row.head }]
      )
    )
    const broken: Array<BrokenLink> = []
    const brokenStreams = new Set<string>()
    let events = 0
    let previous: RecordedEvent | undefined
    const closeStream = (last: RecordedEvent | undefined, streamId: string) => {
      const head = heads.get(streamId)
      heads.delete(streamId)
      if (brokenStreams.has(streamId) || head === undefined) return
      if (head.version !== (last?.streamVersion ?? 0) || head.hash !== last?.hash) {
        broken.push({
          id: last?.position ?? null,
          stream: streamId,
          version: last?.streamVersion ?? null,
          problem: `the stream's head is version ${head.version}, but its events end at version ${last?.streamVersion ?? 0} (removed, or the head was rewritten)`
        })
      }
    }
    let after = { stream: "", version: 0 }
    for (;;) {
      const rows = yield* sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
        WHERE (stream_id, stream_version) > (${after.stream}, ${after.version}) ${scope}
        ORDER BY stream_id, stream_version LIMIT ${batch}`
      if (rows.length === 0) break
      for (const event of rows.map(toRecordedEvent)) {
        events++
        if (previous !== undefined && previous.streamId !== event.streamId)
          closeStream(previous, previous.streamId)
        const before = previous?.streamId === event.streamId ? previous : undefined
        previous = event
        if (brokenStreams.has(event.streamId)) continue
        const problem = brokenLink(event, before)
        if (problem !== undefined) {
          brokenStreams.add(event.streamId)
          broken.push({ id: event.position, stream: event.streamId, version: event.streamVersion, problem })
        }
      }
      const last = rows.at(-1)!
      after = { stream: last.stream_id, version: Number(last.stream_version) }
    }
    if (previous !== undefined) closeStream(previous, previous.streamId)
    // Streams whose rows say they have events the log no longer holds at all.
    for (const streamId of [...heads.keys()]) closeStream(undefined, streamId)
    return {
      streams: yield* countStreams(tenantId),
      events,
      broken: broken.sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
    } satisfies Verification
  }).pipe(Effect.orDie)

const countStreams = (tenantId: string | undefined) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ count: unknown }>`SELECT count(*) AS count FROM streams
      ${tenantId === undefined ? sql`` : sql`WHERE tenant_id = ${tenantId}`}`
    return Number(rows[0]?.count ?? 0)
  })

/**
 * One exported line (docs/audit.md): the stored event as the chain hashes it, with each
 * sealed or secret-like data field given by its digest alone (`redacted`), so an outside
 * verifier needs nothing but SHA-256 and no secret leaves.
 */
export const exportLine = (event: RecordedEvent) => {
  const digests = fieldDigests(event.data)
  const data: Record<string, unknown> = {}
  const redacted: Record<string, string> = {}
  for (const [key, value] of Object.entries(event.data)) {
    if (value === undefined) continue
    if (isRedacted(event.type, key)) redacted[key] = digests[key]!
    else data[key] = value
  }
  return JSON.stringify({
    id: event.position,
    stream: event.streamId,
    version: event.streamVersion,
    tenantId: event.tenantId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt,
    metadata: event.metadata,
    data,
    redacted,
    prevHash: event.prevHash,
    hash: event.hash
  })
}

/** A tenant's events after `after`, by id, as NDJSON text (one chunk per read). */
export const exportTenant = (tenantId: string, after = 0) =>
  Stream.unwrap(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return Stream.paginate(after, (from: number) =>
        sql<EventRow>`SELECT ${sql.literal(eventColumns)} FROM events
          WHERE tenant_id = ${tenantId} AND position > ${from} ORDER BY position LIMIT ${batch}`.pipe(
          Effect.orDie,
          Effect.map((rows) => {
            const events = rows.map(toRecordedEvent)
            const text = events.map((event) => `${exportLine(event)}\n`).join("")
            return [
              text === "" ? [] : [text],
              events.length < batch ? Option.none<number>() : Option.some(events.at(-1)!.position)
            ] as const
          })
        )
      )
    })
  )
