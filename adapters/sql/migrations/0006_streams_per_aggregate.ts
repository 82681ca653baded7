import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * One stream per aggregate. Releases before this kept everything a tenant owns in
 * `tenant-{id}`; from here each aggregate has its own stream:
 * - `tenant-{id}`: the tenant's life, configuration, API settings, site-publish secret;
 * - `cache-versions-{id}`: its cache bumps;
 * - `members-{id}`: its members and invites;
 * - `webhook-{webhookId}`: each cache-refresh webhook.
 * Events move to their aggregate's stream and are numbered again within it, in log order.
 * Nothing else about an event changes: its position (the audit id), transaction id, type,
 * data, metadata and time stay, so readers of the log and the audit history see the same
 * events in the same order. Snapshots are dropped (their streams and shapes changed); the
 * cache versions leave the `tenants` rows for a read model of their own.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`UPDATE events SET stream_id = CASE
      WHEN type = 'CacheVersionsBumped' THEN 'cache-versions-' || tenant_id
      WHEN type IN ('MemberInvited', 'InviteRefreshed', 'InviteRevoked', 'InviteAccepted',
                    'MemberRoleChanged', 'MemberRemoved') THEN 'members-' || tenant_id
      WHEN type IN ('CacheRefreshWebhookCreated', 'CacheRefreshWebhookRegenerated',
                    'CacheRefreshWebhookDeleted') THEN 'webhook-' || (data->>'webhookId')
      ELSE stream_id END
    WHERE stream_id LIKE 'tenant-%'`
  // Renumbered in two steps (negative first) so that the unique (stream, version) key holds throughout.
  yield* sql`UPDATE events e SET stream_version = -n.version
    FROM (SELECT position, row_number() OVER (PARTITION BY stream_id ORDER BY position) AS version FROM events) n
    WHERE e.position = n.position`
  yield* sql`UPDATE events SET stream_version = -stream_version`
  yield* sql`DELETE FROM streams`
  yield* sql`INSERT INTO streams (stream_id, tenant_id, version)
    SELECT stream_id, min(tenant_id), max(stream_version) FROM events GROUP BY stream_id`
  yield* sql`DELETE FROM snapshots`
  yield* sql`CREATE TABLE tenant_cache_versions (
    tenant_id text PRIMARY KEY,
    view jsonb NOT NULL,
    position bigint NOT NULL
  )`
  yield* sql`INSERT INTO tenant_cache_versions (tenant_id, view, position)
    SELECT DISTINCT ON (tenant_id) tenant_id,
      jsonb_build_object('versions', data->'versions', 'updatedAt', data->>'at'), position
    FROM events WHERE type = 'CacheVersionsBumped'
    ORDER BY tenant_id, position DESC`
  yield* sql`UPDATE tenants SET view = view - 'versions'`
})
