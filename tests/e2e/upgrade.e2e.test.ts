/**
 * Existing data keeps working (issue 13): a database written by release 0.1
 * (tests/fixtures/release-0.1) upgrades in place when this release starts on it, and every
 * tenant, member, webhook, secret and audit event reads as release 0.1 answered it.
 *
 * Given the fixture restored at migration 0005 (as release 0.1 left it), when this release
 * starts on that same database (it runs 0006 and later at start), then the `it`s below, in
 * order: the log, the answers, the refusals and edge snapshots (all read-only, checked to
 * append nothing), the secrets and new commands (which append), and a restart.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { migrations } from "../../adapters/sql/migrations/index.ts"
import {
  cacheVersionsAggregate,
  membershipAggregate,
  tenantAggregate,
  webhookAggregate
} from "../../application/aggregates.ts"
import { brokenLink } from "../../application/audit/chain.ts"
import { loadAggregate } from "../../application/handleCommand.ts"
import { EventStore, startOfLog } from "../../application/ports/EventStore.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { SecretBox } from "../../application/ports/SecretBox.ts"
import { cacheVersionsStream } from "../../domain/cacheVersions/index.ts"
import { membershipStream, roster } from "../../domain/membership/index.ts"
import { tenantStream } from "../../domain/tenant/index.ts"
import { webhookStream } from "../../domain/webhook/index.ts"
import {
  captureAnswers,
  capturedAs,
  deliveries,
  differences,
  type Json,
  liveSlugs,
  onlyFieldsOf,
  query,
  ReleaseClient,
  type RestoredDatabase,
  readTable,
  release,
  releaseMigrationNames,
  releaseSettings,
  restoredPglite,
  restoredPostgres,
  userIds
} from "../support/releaseFixture.ts"
import { postgresUrl } from "../support/services.ts"
import { startTestServer, type TestServer } from "../support/testServer.ts"

const postgresServer = postgresUrl
const stacks = [
  { name: "pglite", restore: restoredPglite },
  ...(postgresServer === undefined
    ? []
    : [{ name: "postgres", restore: () => restoredPostgres(postgresServer) }])
]

const { expected } = release
const dumped = (table: string): ReadonlyArray<Json> => release.tables.tables[table] ?? []
const acme = expected.tenants.acme.tenantId as string

/** Where each event type lives from migration 0006 on; the rest stay in `tenant-{id}`. */
const bumpTypes = new Set(["CacheVersionsBumped"])
const membershipTypes = new Set([
  "MemberInvited",
  "InviteRefreshed",
  "InviteRevoked",
  "InviteAccepted",
  "MemberRoleChanged",
  "MemberRemoved"
])
const webhookTypes = new Set([
  "CacheRefreshWebhookCreated",
  "CacheRefreshWebhookRegenerated",
  "CacheRefreshWebhookDeleted"
])
const streamOf = (event: Json): string =>
  bumpTypes.has(event.type)
    ? cacheVersionsStream(event.tenant_id)
    : membershipTypes.has(event.type)
      ? membershipStream(event.tenant_id)
      : webhookTypes.has(event.type)
        ? webhookStream(event.data.webhookId)
        : tenantStream(event.tenant_id)

const byKey =
  (...keys: ReadonlyArray<string>) =>
  (a: Json, b: Json) => {
    for (const key of keys) {
      if (a[key] < b[key]) return -1
      if (a[key] > b[key]) return 1
    }
    return 0
  }

/** `expected` field by field, ignoring fields the new release adds (collected in `added`). */
const sameAsRelease = (what: string, actual: Json, old: Json, added: Set<string>) =>
  differences(onlyFieldsOf(actual, old, added), old).map((line) => `${what} ${line}`)

describe.each(stacks)("Given the release-0.1 database restored at migration 0005 ($name)", ({ restore }) => {
  let database: RestoredDatabase
  let server: TestServer
  let api: ReleaseClient
  let startedAt: number
  /** Fields the new release adds to answers release 0.1 gave (ignored by the comparisons). */
  const added = new Set<string>()

  const sql = (text: string, params: ReadonlyArray<unknown> = []) => server.run(query(text, params))
  const head = async () => {
    const [row] = await sql(
      "SELECT count(*)::int AS count, coalesce(max(position), 0)::int AS head FROM events"
    )
    return { count: Number(row.count), head: Number(row.head) }
  }
  const kvGet = async (key: string) => {
    const value = await server.run(Effect.flatMap(Effect.service(Kv), (kv) => kv.get(key)))
    return value === undefined ? undefined : JSON.parse(value)
  }

  beforeAll(async () => {
    database = await restore()
    startedAt = Date.now()
    // When the new release starts on it: its startup migrates the database in place.
    server = await startTestServer(database.target, releaseSettings())
    api = new ReleaseClient(server)
  })

  afterAll(async () => {
    await server?.close()
    await database?.dispose()
    if (added.size > 0)
      console.info(`upgrade (release 0.1): fields the new release adds: ${[...added].join(", ")}`)
  })

  describe("when the new release starts on it", () => {
    it("then the log is re-streamed as promised: each event in its aggregate's stream, versions 1..n in position order, `streams` agreeing, no snapshot, the last bumps in `tenant_cache_versions`, audit ids and order unchanged, every other row kept", async () => {
      // The migrations: release 0.1's five as they were, then every later one, run at this start.
      const migrationRows = await server.run(readTable("tenantry_migrations", ["migration_id"]))
      const later = Object.keys(migrations).slice(releaseMigrationNames.length)
      expect(migrationRows.slice(0, 5)).toEqual(dumped("tenantry_migrations"))
      expect(
        migrationRows.slice(5).map((row) => `${String(row.migration_id).padStart(4, "0")}_${row.name}`)
      ).toEqual(later)
      for (const row of migrationRows.slice(5))
        expect(Date.parse(row.created_at)).toBeGreaterThanOrEqual(startedAt - 1000)

      // Every event: same position, xid, type, data, metadata, time; its aggregate's stream; renumbered.
      const versions = new Map<string, number>()
      const events = [...dumped("events")]
        .sort((a, b) => a.position - b.position)
        .map((event) => {
          const streamId = streamOf(event)
          const streamVersion = (versions.get(streamId) ?? 0) + 1
          versions.set(streamId, streamVersion)
          return {
            ...event,
            transaction_id: database.xids.get(event.transaction_id),
            stream_id: streamId,
            stream_version: streamVersion
          }
        })
      // Everything that was not already a tenant's own event left `tenant-{id}`.
      for (const event of dumped("events")) expect(event.stream_id).toBe(tenantStream(event.tenant_id))
      // Migration 0011 adds each stream's hash chain (checked below) and nothing else.
      const eventRows = await server.run(readTable("events", ["position"]))
      expect(
        differences(
          eventRows.map(({ hash: _hash, prev_hash: _prev, ...row }) => row),
          events
        )
      ).toEqual([])
      expect(new Set(events.map((event) => event.stream_id)).size).toBeGreaterThan(dumped("streams").length)

      const streams = [...versions].map(([streamId, version]) => ({
        stream_id: streamId,
        tenant_id: events.find((event) => event.stream_id === streamId)!.tenant_id,
        version
      }))
      const streamRows = await server.run(readTable("streams", ["stream_id"]))
      expect(
        differences(
          streamRows.map(({ head_hash: _head, ...row }) => row).sort(byKey("stream_id")),
          streams.sort(byKey("stream_id"))
        )
      ).toEqual([])
      // Migration 0011 chained every stream: each link holds, and each stream row has its head.
      const chained = await server.run(
        Effect.flatMap(Effect.service(EventStore), (store) =>
          Effect.forEach([...versions.keys()], (streamId) => store.readStream(streamId))
        )
      )
      for (const stream of chained) {
        stream.forEach((event, i) => {
          expect(brokenLink(event, stream[i - 1])).toBeUndefined()
        })
      }

      expect(await server.run(readTable("snapshots", ["stream_id"]))).toEqual([])
      expect(dumped("snapshots").map((row) => row.stream_id)).toEqual([tenantStream(acme)])

      const lastBumps = new Map<string, Json>()
      for (const event of events) if (bumpTypes.has(event.type)) lastBumps.set(event.tenant_id, event)
      const cacheRows = await server.run(readTable("tenant_cache_versions", ["tenant_id"]))
      expect(
        differences(
          [...cacheRows].sort(byKey("tenant_id")),
          [...lastBumps.values()]
            .map((event) => ({
              tenant_id: event.tenant_id,
              view: { versions: event.data.versions, updatedAt: event.data.at },
              position: event.position
            }))
            .sort(byKey("tenant_id"))
        )
      ).toEqual([])

      // The tenants' rows say what they said, less the versions that moved to tenant_cache_versions.
      const tenantRows = await server.run(readTable("tenants", ["tenant_id"]))
      expect(
        differences(
          tenantRows,
          dumped("tenants").map(({ view: { versions: _, ...view }, ...row }) => ({ ...row, view }))
        )
      ).toEqual([])

      // Every live tenant keeps its data key; the deleted one, whose key release 0.1 shredded
      // after the deletion, now has its tombstone (migration 0007: no key is ever made again).
      const deletedTenants = new Set(
        events.filter((event) => event.type === "TenantDeleted").map((event) => event.tenant_id)
      )
      const keys = await server.run(readTable("tenant_keys", ["tenant_id"]))
      expect(
        differences(
          keys.filter((row) => !deletedTenants.has(row.tenant_id)),
          dumped("tenant_keys").map((row) => ({ ...row, shredded_at: null }))
        )
      ).toEqual([])
      expect(
        keys
          .filter((row) => deletedTenants.has(row.tenant_id))
          .map((row) => [row.wrapped_key, row.shredded_at !== null])
      ).toEqual([...deletedTenants].map(() => [null, true]))

      // Nothing else was touched.
      const kept: Record<string, ReadonlyArray<string>> = {
        tenant_members: ["tenant_id", "user_id"],
        tenant_invites: ["tenant_id", "invite_id"],
        tenant_webhooks: ["webhook_id"],
        tenant_webhook_events: ["id"]
      }
      for (const [table, key] of Object.entries(kept)) {
        expect(differences(await server.run(readTable(table, key)), dumped(table)), table).toEqual([])
      }
      const [checkpoint] = dumped("projection_checkpoints")
      const checkpoints = await sql(
        "SELECT name, transaction_id::text AS transaction_id, position::int AS position FROM projection_checkpoints WHERE name = $1",
        [checkpoint.name]
      )
      expect(checkpoints).toEqual([
        {
          name: checkpoint.name,
          transaction_id: database.xids.get(checkpoint.transaction_id),
          position: checkpoint.position
        }
      ])

      // The log reads in the same order: readAll from the start hands out every position in order.
      const all = await server.run(
        Effect.flatMap(Effect.service(EventStore), (store) => store.readAll(startOfLog, 10_000))
      )
      expect(all.events.map((event) => event.position)).toEqual(events.map((event) => event.position))
      expect(all.events.map((event) => event.streamId)).toEqual(events.map((event) => event.stream_id))
    })

    it("then every live tenant, its members, webhooks, webhook histories and every audit page, and every user's tenant list read as release 0.1 answered them", async () => {
      const before = await head()
      const answers = await captureAnswers(api)
      const problems: Array<string> = []
      for (const slug of liveSlugs) {
        for (const part of [
          "tenantId",
          "tenant",
          "members",
          "cacheRefreshWebhooks",
          "webhookEvents",
          "auditEvents"
        ]) {
          problems.push(
            ...sameAsRelease(
              `${slug} ${part}`,
              answers.tenants[slug][part],
              expected.tenants[slug][part],
              added
            )
          )
        }
      }
      for (const userId of userIds) {
        problems.push(
          ...sameAsRelease(`${userId} GET /api/tenants`, answers.users[userId], expected.users[userId], added)
        )
      }
      expect(problems).toEqual([])
      expect(await head()).toEqual(before)
    })

    it("then every refused invite answers as at capture, and every edge snapshot re-synced from the read model equals the one release 0.1 wrote", async () => {
      const before = await head()
      const problems: Array<string> = []
      for (const invite of expected.secrets.invites as Array<Json>) {
        if (invite.state === "pending") continue
        const reply = await api.send(invite.acceptAs, "POST", "/api/invites/accept", {
          body: { token: invite.token }
        })
        problems.push(
          ...sameAsRelease(
            `invite ${invite.slug}#${invite.inviteId} (${invite.state})`,
            reply,
            invite.answerAtCapture,
            added
          )
        )
      }
      for (const slug of liveSlugs) {
        await api.call(capturedAs(slug), "POST", `/api/tenants/${slug}/edge-config`)
        const key = `proxy:${slug}`
        problems.push(...sameAsRelease(key, await kvGet(key), expected.kv[key], added))
      }
      expect(problems).toEqual([])
      expect(await head()).toEqual(before)
    })

    it("then every secret works as at capture: API tokens open (the deleted tenant's stay shredded), site-publish secrets publish (rotated ones 401), live cache-refresh URLs deliver and bump (dead ones 404), pending invites are accepted (410 past their expiry)", async () => {
      const open = (tenantId: string, sealed: string) =>
        server.run(
          Effect.flatMap(Effect.service(SecretBox), (box) => box.open(tenantId, sealed)).pipe(
            Effect.map((plain) => ({ opened: plain })),
            Effect.catchTag("SecretShredded", () => Effect.succeed({ shredded: true }))
          )
        )
      const sealedTokens = await sql(
        "SELECT tenant_id, data->>'sealedToken' AS sealed FROM events WHERE type = 'ApiTokenSaved' ORDER BY position"
      )
      for (const [slug, token] of Object.entries(expected.secrets.apiTokens as Record<string, Json>)) {
        const sealed = sealedTokens.filter((row) => row.tenant_id === token.tenantId)
        const opened = []
        for (const row of sealed) opened.push(await open(token.tenantId, row.sealed))
        expect(opened, `API tokens of ${slug}`).toEqual(
          [...token.replaced, token.current].map((plain: string) => ({ opened: plain }))
        )
      }
      const deleted = expected.secrets.deletedTenant
      const deletedSecrets = await sql(
        `SELECT coalesce(data->>'sealedToken', data->>'sealedSecret') AS sealed FROM events
          WHERE tenant_id = $1 AND type IN ('ApiTokenSaved', 'WebhookSecretGenerated') ORDER BY position`,
        [deleted.tenantId]
      )
      expect(deletedSecrets).toHaveLength(2)
      for (const row of deletedSecrets)
        expect(await open(deleted.tenantId, row.sealed)).toEqual({ shredded: true })

      for (const [slug, site] of Object.entries(expected.secrets.sitePublish as Record<string, Json>)) {
        const owner = capturedAs(slug)
        const shown = await api.call(owner, "POST", `/api/tenants/${slug}/webhook-secret`)
        expect(shown.secret, `site-publish secret of ${slug}`).toBe(site.current)
        const before = (await api.call(owner, "GET", `/api/tenants/${slug}`)).value.htmlCacheVersion
        const published = await api.send(
          undefined,
          "POST",
          `/api/tenants/${slug}/webhook?secret=${encodeURIComponent(site.current)}`,
          { body: {} }
        )
        expect(published, `site publish on ${slug}`).toMatchObject({
          status: 200,
          body: { ok: true, htmlCacheVersion: before + 1 }
        })
        for (const old of site.rotatedAway) {
          const refused = await api.send(
            undefined,
            "POST",
            `/api/tenants/${slug}/webhook?secret=${encodeURIComponent(old)}`,
            { body: {} }
          )
          expect(refused.status, `rotated-away site-publish secret of ${slug}`).toBe(401)
        }
      }

      for (const hook of expected.secrets.cacheRefreshWebhooks as Array<Json>) {
        const delivery = deliveries[hook.provider]!
        const reply = await api.send(undefined, "POST", hook.path, {
          raw: delivery.body,
          headers: delivery.headers
        })
        if (hook.state !== "live") {
          expect(reply.status, `${hook.state} webhook ${hook.webhookId}`).toBe(404)
          continue
        }
        expect(reply, `live webhook ${hook.webhookId}`).toMatchObject({
          status: 200,
          body: { refreshed: true }
        })
        const snapshot = await kvGet(`proxy:${hook.slug}`)
        expect(snapshot.cache.apiCacheVersion, `proxy:${hook.slug} after a delivery`).toBe(
          reply.body.versions.apiCacheVersion
        )
      }

      const now = Date.now()
      for (const invite of expected.secrets.invites as Array<Json>) {
        if (invite.state !== "pending") continue
        const reply = await api.send(invite.acceptAs, "POST", "/api/invites/accept", {
          body: { token: invite.token }
        })
        if (Date.parse(invite.expiresAt) > now) {
          expect(reply, `pending invite ${invite.slug}#${invite.inviteId}`).toMatchObject({
            status: 200,
            body: { ok: true, slug: invite.slug, role: invite.role }
          })
          const members = await api.call(
            capturedAs(invite.slug),
            "GET",
            `/api/tenants/${invite.slug}/members`
          )
          expect(members.members).toContainEqual(
            expect.objectContaining({ userId: invite.acceptAs, role: invite.role })
          )
        } else {
          expect(reply.status, `pending invite ${invite.slug}#${invite.inviteId}, expired since`).toBe(410)
        }
      }
    })

    it("then new commands append to the upgraded streams at their next version, and acme (which had a snapshot) loads and decides correctly without it", async () => {
      const alice = capturedAs("acme")
      /** Runs `action`, which must append exactly one event, `type`, to `streamId` at its next version. */
      const appendsOneTo = async (streamId: string, type: string, action: () => Promise<unknown>) => {
        const [stream] = await sql("SELECT version FROM streams WHERE stream_id = $1", [streamId])
        const before = await head()
        await action()
        const appended = await sql(
          `SELECT position::int AS position, stream_id, stream_version, type, data FROM events
            WHERE position > $1 ORDER BY position`,
          [before.head]
        )
        expect(
          appended.map(({ stream_id, stream_version, type }) => ({ stream_id, stream_version, type }))
        ).toEqual([{ stream_id: streamId, stream_version: stream.version + 1, type }])
        const [after] = await sql("SELECT version FROM streams WHERE stream_id = $1", [streamId])
        expect(after.version).toBe(stream.version + 1)
        return appended[0].data as Json
      }

      // A refresh-cache: the next bump of cache-versions-{id}, from the last one.
      const versionsBefore = (await api.call(alice, "GET", "/api/tenants/acme")).value
      const bump = await appendsOneTo(cacheVersionsStream(acme), "CacheVersionsBumped", () =>
        api.call(alice, "POST", "/api/tenants/acme/refresh-cache", { type: "api" })
      )
      expect(bump.versions).toEqual({
        apiCacheVersion: versionsBefore.apiCacheVersion + 1,
        assetCacheVersion: versionsBefore.assetCacheVersion,
        htmlCacheVersion: versionsBefore.htmlCacheVersion
      })

      // A role change: members-{id}, decided on the roles release 0.1 recorded (carol joined as admin).
      const change = await appendsOneTo(membershipStream(acme), "MemberRoleChanged", () =>
        api.call(alice, "POST", "/api/tenants/acme/members/update-role", {
          userId: "user_carol",
          role: "editor"
        })
      )
      expect(change).toMatchObject({ userId: "user_carol", previousRole: "admin", role: "editor" })

      // A webhook regenerate: webhook-{id}; the old URL stops, the new one delivers.
      const hook = (expected.secrets.cacheRefreshWebhooks as Array<Json>).find(
        (candidate) =>
          candidate.slug === "acme" && candidate.provider === "contentful" && candidate.state === "live"
      )
      let regenerated: Json
      await appendsOneTo(webhookStream(hook.webhookId), "CacheRefreshWebhookRegenerated", async () => {
        regenerated = await api.call(
          alice,
          "POST",
          `/api/tenants/acme/cache-refresh-webhooks/${hook.webhookId}/regenerate`
        )
      })
      const delivery = deliveries.contentful!
      const stale = await api.send(undefined, "POST", hook.path, {
        raw: delivery.body,
        headers: delivery.headers
      })
      expect(stale.status).toBe(404)
      const fresh = await api.send(undefined, "POST", new URL(regenerated.url).pathname, {
        raw: delivery.body,
        headers: delivery.headers
      })
      expect(fresh).toMatchObject({ status: 200, body: { refreshed: true } })

      // A configuration update: tenant-{id}; the rest of the configuration stays.
      const configBefore = (await api.call(alice, "GET", "/api/tenants/acme")).value
      const update = await appendsOneTo(tenantStream(acme), "TenantConfigUpdated", () =>
        api.call(alice, "PUT", "/api/tenants/acme", { cacheTTL: 1800 })
      )
      expect(update.changes).toEqual({ cacheTTL: 1800 })
      const configAfter = (await api.call(alice, "GET", "/api/tenants/acme")).value
      const { cacheTTL: ttlAfter, updatedAt: _a, ...restAfter } = configAfter
      const { cacheTTL: ttlBefore, updatedAt: _b, ...restBefore } = configBefore
      expect([ttlBefore, ttlAfter]).toEqual([1200, 1800])
      expect(restAfter).toEqual(restBefore)

      // Decided on state folded from the whole stream: bob joined by invite, so inviting him again is refused.
      const again = await api.send(alice, "POST", "/api/tenants/acme/members/invite", {
        body: { email: "bob@example.com", role: "viewer" }
      })
      expect(again).toMatchObject({ status: 409, body: { error: "already_exists" } })

      // Loaded without a snapshot (none survived, none taken since): what it reads equals what the API says.
      expect(await sql("SELECT stream_id FROM snapshots")).toEqual([])
      const versionOf = async (streamId: string) =>
        (await sql("SELECT version FROM streams WHERE stream_id = $1", [streamId]))[0].version as number
      const view = (await api.call(alice, "GET", "/api/tenants/acme")).value
      const tenant = await server.run(loadAggregate(tenantAggregate, tenantStream(acme)))
      expect({ version: tenant.version, snapshotVersion: tenant.snapshotVersion }).toEqual({
        version: await versionOf(tenantStream(acme)),
        snapshotVersion: 0
      })
      const { cms, ...cmsFields } = (tenant.state as Json).cms
      expect(tenant.state).toMatchObject({
        status: "active",
        tenantId: acme,
        slug: "acme",
        cacheTTL: view.cacheTTL,
        websiteDomain: view.websiteDomain,
        siteProxy: view.siteProxy,
        apiConfig: view.apiConfig,
        apiToken: { updatedAt: view.apiTokenUpdatedAt },
        creatorId: "user_alice",
        createdAt: view.createdAt
      })
      expect(view).toMatchObject({ cms, ...cmsFields })
      expect((tenant.state as Json).webhookSecret).toEqual(expect.any(String))

      const cache = await server.run(loadAggregate(cacheVersionsAggregate, cacheVersionsStream(acme)))
      expect(cache.version).toBe(await versionOf(cacheVersionsStream(acme)))
      expect(cache.state.versions).toEqual({
        apiCacheVersion: view.apiCacheVersion,
        assetCacheVersion: view.assetCacheVersion,
        htmlCacheVersion: view.htmlCacheVersion
      })

      const membership = await server.run(loadAggregate(membershipAggregate, membershipStream(acme)))
      expect({ version: membership.version, snapshotVersion: membership.snapshotVersion }).toEqual({
        version: await versionOf(membershipStream(acme)),
        snapshotVersion: 0
      })
      const members = await api.call(alice, "GET", "/api/tenants/acme/members")
      expect(Object.fromEntries(roster(membership.state, (tenant.state as Json).creatorId))).toEqual(
        Object.fromEntries(members.members.map((member: Json) => [member.userId, member.role]))
      )
      expect(
        [...membership.state.invites.values()]
          .filter((invite: Json) => invite.status === "pending")
          .map((invite: Json) => [invite.inviteId, invite.role])
      ).toEqual(members.invites.map((invite: Json) => [invite.id, invite.role]))

      const webhook = await server.run(loadAggregate(webhookAggregate, webhookStream(hook.webhookId)))
      expect(webhook).toMatchObject({ version: 2, state: { status: "active", webhookId: hook.webhookId } })
    })

    it("then restarting on the upgraded database runs no migration again and answers the same", async () => {
      const migrationsBefore = await server.run(readTable("tenantry_migrations", ["migration_id"]))
      const logBefore = await sql("SELECT position, stream_id, stream_version FROM events ORDER BY position")
      const streamsBefore = await server.run(readTable("streams", ["stream_id"]))
      const answersBefore = await captureAnswers(api)
      await server.close()

      server = await startTestServer(database.target, releaseSettings())
      api = new ReleaseClient(server)

      expect(await server.run(readTable("tenantry_migrations", ["migration_id"]))).toEqual(migrationsBefore)
      expect(await sql("SELECT position, stream_id, stream_version FROM events ORDER BY position")).toEqual(
        logBefore
      )
      expect(await server.run(readTable("streams", ["stream_id"]))).toEqual(streamsBefore)
      expect(differences(await captureAnswers(api), answersBefore)).toEqual([])
    })
  })
})
