import { assert, layer } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { CommandHandler } from "../../application/handleCommand.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { tenantAggregate } from "../../application/tenants/tenantAggregate.ts"
import type { UserId } from "../../domain/shared/ids.ts"
import { type Slug, type TenantCommand, tenantStream } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { handlerLayer, uniqueTag, uniqueTenantId } from "../support/tenantHarness.ts"

const at = "2026-11-24T12:00:00.000Z"

const create = (tenantId: string): TenantCommand => ({
  _tag: "CreateTenant",
  tenantId: tenantId as never,
  slug: `gc-${uniqueTag()}` as Slug,
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
