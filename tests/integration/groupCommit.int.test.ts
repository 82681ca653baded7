import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { cacheVersionsAggregate, tenantAggregate } from "../../application/aggregates.ts"
import { cacheVersionsCodec, tenantCodec } from "../../application/events/catalog.ts"
import { CommandHandler } from "../../application/handleCommand.ts"
import { type EventMetadata, EventStore } from "../../application/ports/EventStore.ts"
import { readTenant } from "../../application/runCommand.ts"
import { type CacheTarget, cacheVersionsStream } from "../../domain/cacheVersions/index.ts"
import type { UserId, WebhookId } from "../../domain/shared/ids.ts"
import { type Slug, type TenantCommand, tenantStream } from "../../domain/tenant/index.ts"
import { type DatabaseTarget, databaseTargets } from "../support/databases.ts"
import { storageLayer } from "../support/storage.ts"
import { handleCommandOn, handlerLayer, uniqueTag, uniqueTenantId } from "../support/tenantHarness.ts"

/**
 * Group commit on the hot stream, a tenant's cache versions: concurrent bumps share one
 * append per stream and one transaction across streams, each counting once; a command
 * that breaks a rule fails alone; the cached state of a stream, and of the streams its
 * commands read (the tenant), is dropped when another node moves them.
 */

const at = "2026-11-24T12:00:00.000Z"

const create = (tenantId: string, slug = `gc-${uniqueTag()}`): TenantCommand => ({
  _tag: "CreateTenant",
  tenantId: tenantId as never,
  slug: slug as Slug,
  cms: { cms: "contentful", spaceId: "abc" },
  cacheTTL: 300,
  websiteDomain: null,
  siteProxy: false,
  ownerId: "user_owner" as UserId,
  at
})

const asRequest = (requestId: string): EventMetadata => ({
  actor: { type: "user", id: requestId },
  requestId
})

/** Runs a tenant command as request `requestId`, through the shared handler. */
const run = (tenantId: string, requestId: string, command: TenantCommand) =>
  handleCommandOn(
    tenantAggregate,
    { streamId: tenantStream(tenantId), tenantId },
    command,
    asRequest(requestId)
  )

/** A bump as request `requestId`, made as refreshCache makes it: reading the tenant, which guards the append. */
const bump = (tenantId: string, requestId: string, target: CacheTarget = "api") =>
  handleCommandOn(
    cacheVersionsAggregate,
    { streamId: cacheVersionsStream(tenantId), tenantId },
    (_state, context) =>
      Effect.map(readTenant(context, tenantId), (tenant) => ({
        _tag: "BumpCacheVersions" as const,
        target,
        tenantLive: tenant.status === "active",
        at
      })),
    asRequest(requestId)
  )

/** A cache-refresh delivery's bump presenting the wrong secret for its webhook: refused, WebhookNotFound. */
const refusedDelivery = (tenantId: string, requestId: string) =>
  handleCommandOn(
    cacheVersionsAggregate,
    { streamId: cacheVersionsStream(tenantId), tenantId },
    {
      _tag: "BumpCacheVersionsForWebhook",
      webhookId: "whk_groupcommit" as WebhookId,
      target: "html",
      tenantLive: true,
      webhook: { secretHash: "a".repeat(64) },
      presentedSecretHash: "b".repeat(64),
      at
    },
    asRequest(requestId)
  )

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 60_000 })(
    `Group commit: ${target.name}`,
    (it) => {
      it.effect(
        "given 60 concurrent bumps on one tenant, then each counts once, each caller sees its own version, and each event keeps its own request's metadata",
        () =>
          Effect.gen(function* () {
            const tenantId = uniqueTenantId()
            yield* run(tenantId, "req-create", create(tenantId))
            const results = yield* Effect.forEach(
              Array.from({ length: 60 }, (_, i) => i),
              (i) => bump(tenantId, `req-${i}`),
              { concurrency: "unbounded" }
            )
            const versions = results.map((result) => result.state.versions.apiCacheVersion)
            assert.deepStrictEqual(
              [...versions].sort((a, b) => a - b),
              Array.from({ length: 60 }, (_, i) => i + 2)
            )
            const stored = yield* (yield* EventStore).readStream(cacheVersionsStream(tenantId))
            assert.strictEqual(stored.length, 60)
            for (const [i, result] of results.entries()) {
              assert.strictEqual(result.events.length, 1)
              assert.strictEqual(result.events[0]!.metadata.requestId, `req-${i}`)
              const storedEvent = stored.find((event) => event.position === result.events[0]!.position)
              assert.strictEqual(storedEvent?.metadata.requestId, `req-${i}`)
              // The event carries the versions its caller was told.
              assert.deepStrictEqual(cacheVersionsCodec.decode(storedEvent!).versions, result.state.versions)
            }
            // The tenant's own stream is untouched by bumps.
            assert.strictEqual((yield* (yield* EventStore).readStream(tenantStream(tenantId))).length, 1)
          })
      )

      it.effect(
        "given a batch where one command breaks a rule, then only that caller fails and the others land",
        () =>
          Effect.gen(function* () {
            const tenantId = uniqueTenantId()
            yield* run(tenantId, "req-create", create(tenantId))
            const outcomes = yield* Effect.forEach(
              [
                bump(tenantId, "req-0", "html"),
                refusedDelivery(tenantId, "req-1"), // another secret: WebhookNotFound
                bump(tenantId, "req-2", "html")
              ],
              (command) => Effect.exit(command),
              { concurrency: "unbounded" }
            )
            assert.isTrue(Exit.isSuccess(outcomes[0]!))
            assert.include(JSON.stringify(outcomes[1]), "WebhookNotFound")
            assert.isTrue(Exit.isSuccess(outcomes[2]!))
            const stored = yield* (yield* EventStore).readStream(cacheVersionsStream(tenantId))
            assert.deepStrictEqual(
              stored.map((event) => [event.type, cacheVersionsCodec.decode(event).versions.htmlCacheVersion]),
              [
                ["CacheVersionsBumped", 2],
                ["CacheVersionsBumped", 3]
              ]
            )
          })
      )

      it.effect(
        "given another writer appends behind the cache's back, then the next command reloads and still counts once",
        () =>
          Effect.gen(function* () {
            const tenantId = uniqueTenantId()
            const store = yield* EventStore
            yield* run(tenantId, "req-create", create(tenantId))
            yield* bump(tenantId, "req-1")
            // As another node would: straight to the store, version 2.
            yield* store.append({
              streamId: cacheVersionsStream(tenantId),
              tenantId,
              expectedVersion: 1,
              events: [
                cacheVersionsCodec.encode({
                  _tag: "CacheVersionsBumped",
                  target: "api",
                  versions: { apiCacheVersion: 3, assetCacheVersion: 1, htmlCacheVersion: 1 },
                  at
                })
              ],
              metadata: { actor: { type: "system", id: "other-node" } }
            })
            const result = yield* bump(tenantId, "req-2")
            assert.strictEqual(result.state.versions.apiCacheVersion, 4)
            assert.strictEqual(result.version, 3)
          })
      )

      it.effect(
        "given the tenant is deleted by another writer behind the cache's back, then the next bump's guard catches it: reloaded, refused TenantNotFound, nothing written",
        () =>
          Effect.gen(function* () {
            const tenantId = uniqueTenantId()
            const store = yield* EventStore
            const created = yield* run(tenantId, "req-create", create(tenantId))
            yield* bump(tenantId, "req-1") // the handler now holds the live tenant, read at version 1
            yield* store.append({
              streamId: tenantStream(tenantId),
              tenantId,
              expectedVersion: 1,
              events: [
                tenantCodec.encode({
                  _tag: "TenantDeleted",
                  slug: created.state.status === "active" ? created.state.slug : ("" as Slug),
                  at
                })
              ],
              metadata: { actor: { type: "system", id: "other-node" } }
            })
            const refused = yield* Effect.exit(bump(tenantId, "req-2"))
            assert.include(JSON.stringify(refused), "TenantNotFound")
            assert.strictEqual((yield* store.readStream(cacheVersionsStream(tenantId))).length, 1)
          })
      )
    }
  )
}

/** Every `appendMany` the command handler makes: the streams of each call, and whether it went through. */
interface AppendManyCall {
  readonly streams: ReadonlyArray<string>
  ok?: boolean
}

/**
 * The real command handler over a store that records its `appendMany` calls and can be
 * slowed down: while the pipeline's flushes take `slow.millis`, every command decided
 * meanwhile waits for the next flush, so the batches do not depend on scheduling luck.
 */
const spiedHandlerLayer = (
  target: DatabaseTarget,
  calls: Array<AppendManyCall>,
  slow: { millis: number }
) => {
  const spiedStore = Layer.effect(
    EventStore,
    Effect.gen(function* () {
      const store = yield* EventStore
      return EventStore.of({
        ...store,
        append: (request) => Effect.andThen(Effect.sleep(slow.millis), store.append(request)),
        appendMany: (requests) => {
          const call: AppendManyCall = { streams: requests.map((request) => request.streamId) }
          calls.push(call)
          return Effect.andThen(Effect.sleep(slow.millis), store.appendMany(requests)).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() => {
                call.ok = Exit.isSuccess(exit)
              })
            )
          )
        }
      })
    })
  )
  return Layer.provideMerge(CommandHandler.layer, Layer.provideMerge(spiedStore, storageLayer(target)))
}

for (const target of databaseTargets) {
  const calls: Array<AppendManyCall> = []
  const slow = { millis: 0 }
  layer(spiedHandlerLayer(target, calls, slow), { excludeTestServices: true, timeout: 60_000 })(
    `Cross-stream group commit: ${target.name}`,
    (it) => {
      it.effect(
        "given concurrent bumps on many different tenants, then they share transactions (fewer than one per command) and each caller gets its own tenant's result",
        () =>
          Effect.gen(function* () {
            slow.millis = 0
            const tenants = Array.from({ length: 40 }, () => uniqueTenantId())
            yield* Effect.forEach(tenants, (tenantId) => run(tenantId, "req-create", create(tenantId)), {
              concurrency: "unbounded"
            })
            calls.length = 0
            slow.millis = 25
            const results = yield* Effect.forEach(tenants, (tenantId, i) => bump(tenantId, `req-${i}`), {
              concurrency: "unbounded"
            })
            const store = yield* EventStore
            const transactions = new Map<number, Set<string>>()
            for (const [i, result] of results.entries()) {
              const tenantId = tenants[i]!
              assert.strictEqual(result.version, 1)
              assert.strictEqual(result.state.versions.apiCacheVersion, 2)
              assert.strictEqual(result.events.length, 1)
              const [event] = result.events
              assert.strictEqual(event!.streamId, cacheVersionsStream(tenantId))
              assert.strictEqual(event!.tenantId, tenantId)
              assert.strictEqual(event!.streamVersion, 1)
              assert.strictEqual(event!.metadata.requestId, `req-${i}`)
              const stored = yield* store.readStream(cacheVersionsStream(tenantId))
              assert.deepStrictEqual(
                stored.map((e) => [e.type, e.position, e.metadata.requestId]),
                [["CacheVersionsBumped", event!.position, `req-${i}`]]
              )
              const streams = transactions.get(event!.transactionId) ?? new Set()
              transactions.set(event!.transactionId, streams.add(event!.streamId))
            }
            assert.isBelow(transactions.size, tenants.length, "fewer transactions than commands")
            assert.isTrue(
              [...transactions.values()].some((streams) => streams.size > 1),
              "some transaction holds several tenants' events"
            )
            assert.isTrue(
              calls.some((call) => call.ok === true && call.streams.length > 1),
              "appendMany carried several streams"
            )
            // The read model took every bump, in the same transactions.
            const sql = yield* SqlClient.SqlClient
            const views = yield* sql<{ tenant_id: string; api: unknown }>`
              SELECT tenant_id, view->'versions'->>'apiCacheVersion' AS api FROM tenant_cache_versions
              WHERE tenant_id IN ${sql.in(tenants)}`
            assert.strictEqual(views.length, tenants.length)
            assert.isTrue(views.every((row) => Number(row.api) === 2))
          })
      )

      it.effect(
        "given a cross-stream batch where one create takes a live slug, then only that command fails UniqueKeyTaken and the rest of the batch lands",
        () =>
          Effect.gen(function* () {
            slow.millis = 0
            const taken = `gc-taken-${uniqueTag()}`
            const holder = uniqueTenantId()
            yield* run(holder, "req-holder", create(holder, taken))
            const bumped = Array.from({ length: 30 }, () => uniqueTenantId())
            yield* Effect.forEach(bumped, (tenantId) => run(tenantId, "req-create", create(tenantId)), {
              concurrency: "unbounded"
            })
            const created = Array.from({ length: 10 }, () => uniqueTenantId())
            const offender = uniqueTenantId()
            calls.length = 0
            // Flushes slow enough that every decision (creates load their new stream first) is
            // waiting before the second one goes: the offender shares a transaction with others.
            slow.millis = 150
            // The offender in the middle, so that it goes out in a shared transaction.
            // Bumps (cache-versions streams) and creates (tenant streams) in one flush.
            const commands: ReadonlyArray<readonly [string, "bump" | TenantCommand]> = [
              ...bumped.slice(0, 15).map((tenantId) => [tenantId, "bump"] as const),
              ...created.slice(0, 5).map((tenantId) => [tenantId, create(tenantId)] as const),
              [offender, create(offender, taken)],
              ...created.slice(5).map((tenantId) => [tenantId, create(tenantId)] as const),
              ...bumped.slice(15).map((tenantId) => [tenantId, "bump"] as const)
            ]
            const outcomes = yield* Effect.forEach(
              commands,
              ([tenantId, command], i) => {
                const handled: Effect.Effect<unknown, unknown, CommandHandler> =
                  command === "bump" ? bump(tenantId, `req-${i}`, "html") : run(tenantId, `req-${i}`, command)
                return Effect.exit(handled)
              },
              { concurrency: "unbounded" }
            )
            const store = yield* EventStore
            for (const [i, [tenantId, command]] of commands.entries()) {
              const outcome = outcomes[i]!
              const stored = yield* store.readStream(
                command === "bump" ? cacheVersionsStream(tenantId) : tenantStream(tenantId)
              )
              if (tenantId === offender) {
                assert.isTrue(Exit.isFailure(outcome))
                assert.include(JSON.stringify(outcome), "UniqueKeyTaken")
                assert.strictEqual(stored.length, 0, "the offender left nothing")
              } else {
                assert.isTrue(Exit.isSuccess(outcome), `${tenantId} must land: ${JSON.stringify(outcome)}`)
                assert.strictEqual(stored.length, 1)
              }
            }
            const refused = calls.find((call) => call.streams.includes(tenantStream(offender)))
            assert.isDefined(refused, "the offender went out in a cross-stream batch")
            assert.isFalse(refused!.ok)
            assert.isAbove(refused!.streams.length, 1)
          })
      )
    }
  )
}
