import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { CommandHandler } from "../../application/handleCommand.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { tenantAggregate } from "../../application/tenants/tenantAggregate.ts"
import type { UserId } from "../../domain/shared/ids.ts"
import { type Slug, type TenantCommand, tenantStream } from "../../domain/tenant/index.ts"
import { type DatabaseTarget, databaseTargets } from "../support/databases.ts"
import { storageLayer } from "../support/storage.ts"
import { handlerLayer, uniqueTag, uniqueTenantId } from "../support/tenantHarness.ts"

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

/** Runs a command as request `requestId`, through the shared handler. */
const run = (tenantId: string, requestId: string, command: TenantCommand) =>
  Effect.gen(function* () {
    const handler = yield* CommandHandler
    return yield* handler.handle(
      tenantAggregate,
      {
        streamId: tenantStream(tenantId),
        tenantId,
        metadata: { actor: { type: "user", id: requestId }, requestId }
      },
      () => Effect.succeed(command)
    )
  })

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
              (i) => run(tenantId, `req-${i}`, { _tag: "BumpCacheVersions", target: "api", at }),
              { concurrency: "unbounded" }
            )
            const versions = results.map((result) =>
              result.state.status === "active" ? result.state.versions.apiCacheVersion : 0
            )
            assert.deepStrictEqual(
              [...versions].sort((a, b) => a - b),
              Array.from({ length: 60 }, (_, i) => i + 2)
            )
            const stored = yield* (yield* EventStore).readStream(tenantStream(tenantId))
            assert.strictEqual(stored.length, 61)
            for (const [i, result] of results.entries()) {
              assert.strictEqual(result.events.length, 1)
              assert.strictEqual(result.events[0]!.metadata.requestId, `req-${i}`)
              const storedEvent = stored.find((event) => event.position === result.events[0]!.position)
              assert.strictEqual(storedEvent?.metadata.requestId, `req-${i}`)
            }
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
                { _tag: "BumpCacheVersions", target: "html", at },
                create(tenantId), // already exists: TenantAlreadyExists
                { _tag: "BumpCacheVersions", target: "html", at }
              ] satisfies ReadonlyArray<TenantCommand>,
              (command, i) => Effect.exit(run(tenantId, `req-${i}`, command)),
              { concurrency: "unbounded" }
            )
            assert.isTrue(Exit.isSuccess(outcomes[0]!))
            assert.include(JSON.stringify(outcomes[1]), "TenantAlreadyExists")
            assert.isTrue(Exit.isSuccess(outcomes[2]!))
            const stored = yield* (yield* EventStore).readStream(tenantStream(tenantId))
            assert.deepStrictEqual(
              stored.map((event) => event.type),
              ["TenantCreated", "CacheVersionsBumped", "CacheVersionsBumped"]
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
            yield* run(tenantId, "req-1", { _tag: "BumpCacheVersions", target: "api", at })
            // As another node would: straight to the store, version 3.
            yield* store.append({
              streamId: tenantStream(tenantId),
              tenantId,
              expectedVersion: 2,
              events: [
                tenantAggregate.encode({
                  _tag: "CacheVersionsBumped",
                  target: "api",
                  versions: { apiCacheVersion: 3, assetCacheVersion: 1, htmlCacheVersion: 1 },
                  at
                })
              ],
              metadata: { actor: { type: "system", id: "other-node" } }
            })
            const result = yield* run(tenantId, "req-2", { _tag: "BumpCacheVersions", target: "api", at })
            assert.strictEqual(
              result.state.status === "active" ? result.state.versions.apiCacheVersion : 0,
              4
            )
            assert.strictEqual(result.version, 4)
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
            const results = yield* Effect.forEach(
              tenants,
              (tenantId, i) => run(tenantId, `req-${i}`, { _tag: "BumpCacheVersions", target: "api", at }),
              { concurrency: "unbounded" }
            )
            const store = yield* EventStore
            const transactions = new Map<number, Set<string>>()
            for (const [i, result] of results.entries()) {
              const tenantId = tenants[i]!
              assert.strictEqual(result.version, 2)
              assert.strictEqual(
                result.state.status === "active" ? result.state.versions.apiCacheVersion : 0,
                2
              )
              assert.strictEqual(result.events.length, 1)
              const [event] = result.events
              assert.strictEqual(event!.streamId, tenantStream(tenantId))
              assert.strictEqual(event!.tenantId, tenantId)
              assert.strictEqual(event!.streamVersion, 2)
              assert.strictEqual(event!.metadata.requestId, `req-${i}`)
              const stored = yield* store.readStream(tenantStream(tenantId))
              assert.deepStrictEqual(
                stored.map((e) => [e.type, e.position, e.metadata.requestId]),
                [
                  ["TenantCreated", stored[0]!.position, "req-create"],
                  ["CacheVersionsBumped", event!.position, `req-${i}`]
                ]
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
              SELECT tenant_id, view->'versions'->>'apiCacheVersion' AS api FROM tenants
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
            slow.millis = 25
            // The offender in the middle, so that it goes out in a shared transaction.
            const commands: ReadonlyArray<readonly [string, TenantCommand]> = [
              ...bumped
                .slice(0, 15)
                .map((tenantId) => [tenantId, { _tag: "BumpCacheVersions", target: "html", at }] as const),
              ...created.slice(0, 5).map((tenantId) => [tenantId, create(tenantId)] as const),
              [offender, create(offender, taken)],
              ...created.slice(5).map((tenantId) => [tenantId, create(tenantId)] as const),
              ...bumped
                .slice(15)
                .map((tenantId) => [tenantId, { _tag: "BumpCacheVersions", target: "html", at }] as const)
            ]
            const outcomes = yield* Effect.forEach(
              commands,
              ([tenantId, command], i) => Effect.exit(run(tenantId, `req-${i}`, command)),
              { concurrency: "unbounded" }
            )
            const store = yield* EventStore
            for (const [i, [tenantId]] of commands.entries()) {
              const outcome = outcomes[i]!
              const stored = yield* store.readStream(tenantStream(tenantId))
              if (tenantId === offender) {
                assert.isTrue(Exit.isFailure(outcome))
                assert.include(JSON.stringify(outcome), "UniqueKeyTaken")
                assert.strictEqual(stored.length, 0, "the offender left nothing")
              } else {
                assert.isTrue(Exit.isSuccess(outcome), `${tenantId} must land: ${JSON.stringify(outcome)}`)
                assert.strictEqual(stored.length, created.includes(tenantId as never) ? 1 : 2)
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
