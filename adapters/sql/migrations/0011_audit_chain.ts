import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { chainBody, chainHash, zeroHash } from "../../../application/audit/chain.ts"
import { type EventRow, toRecordedEvent } from "../rows.ts"

/** Events read and chained per round of the backfill. */
const batch = 2_000

/**
 * The hash chain of every stream (docs/audit.md). Each event gets `hash` and `prev_hash`,
 * each stream row its head hash, which the append statement checks and moves with the
 * version (`event_chain` folds one request's links in SQL). Existing events are chained
 * here, stream by stream in version order; their `recorded_at` is cut to the millisecond
 * first, the precision the chain spells it with (appends write milliseconds from now on).
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE FUNCTION event_chain(prev bytea, bodies text[]) RETURNS bytea[]
    LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE links bytea[] := '{}'; link bytea := prev; body text;
    BEGIN
      FOREACH body IN ARRAY bodies LOOP
        link := sha256(link || convert_to(body, 'UTF8'));
        links := links || link;
      END LOOP;
      RETURN links;
    END $$`
  yield* sql`ALTER TABLE streams ADD COLUMN head_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex')`
  yield* sql`ALTER TABLE events ADD COLUMN hash bytea, ADD COLUMN prev_hash bytea`
  yield* sql`UPDATE events SET recorded_at = date_trunc('milliseconds', recorded_at)`

  let after: { stream: string; version: number } = { stream: "", version: 0 }
  let head: { stream: string; hash: string } = { stream: "", hash: zeroHash }
  for (;;) {
    const rows = yield* sql<EventRow>`SELECT position, transaction_id::text AS transaction_id, stream_id,
        stream_version, tenant_id, type, schema_version, data, metadata, recorded_at, '' AS hash, '' AS prev_hash
      FROM events WHERE (stream_id, stream_version) > (${after.stream}, ${after.version})
      ORDER BY stream_id, stream_version LIMIT ${batch}`
    if (rows.length === 0) break
    const links: Array<{ position: number; hash: string; prev_hash: string }> = []
    for (const event of rows.map(toRecordedEvent)) {
      const prevHash = head.stream === event.streamId ? head.hash : zeroHash
      const hash = chainHash(prevHash, chainBody(event))
      links.push({ position: event.position, hash, prev_hash: prevHash })
      head = { stream: event.streamId, hash }
    }
    yield* sql`UPDATE events e SET hash = decode(l.hash, 'hex'), prev_hash = decode(l.prev_hash, 'hex')
      FROM jsonb_to_recordset(${JSON.stringify(links)}::jsonb) AS l(position bigint, hash text, prev_hash text)
      WHERE e.position = l.position`
    const last = rows.at(-1)!
    after = { stream: last.stream_id, version: Number(last.stream_version) }
  }
  yield* sql`UPDATE streams s SET head_hash = e.hash FROM events e
    WHERE e.stream_id = s.stream_id AND e.stream_version = s.version`
  // Left nullable: a row written around the event store (raw SQL) has no link, and
  // `audit verify` reports it as broken rather than the insert failing.
  // A tenant's feed reads its events in commit order (readAll with tenantIds).
  yield* sql`CREATE INDEX events_tenant_commit_order ON events (tenant_id, transaction_id, position)`
})
