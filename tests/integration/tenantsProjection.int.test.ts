import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { cacheVersionsProjection } from "../../adapters/sql/projections/cacheVersions.ts"
import { tenantsProjection } from "../../adapters/sql/projections/tenants.ts"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import { asJson } from "../../adapters/sql/rows.ts"
import * as SqlEventStore from "../../adapters/sql/SqlEventStore.ts"
import { inlineProjections } from "../../adapters/sql/SqlStorage.ts"
import { cacheVersionsCodec, tenantCodec } from "../../application/events/catalog.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import type { CacheVersionsRow, TenantRow } from "../../application/projections/tenantView.ts"
import {
  type CacheTarget,
  type CacheVersions,
  type CacheVersionsEvent,
  cacheVersionsStream
} from "../../domain/cacheVersions/index.ts"
import { type TenantEvent, tenantStream } from "../../domain/tenant/index.ts"
import { databaseTargets, storageLayer } from "../support/storage.ts"

const metadata = { actor: { type: "system" as const, id: "test" } }
const at = "2026-11-24T10:00:00.000Z"

const created = (tenantId: string, slug: string) =>
  ({
    _tag: "TenantCreated",
    tenantId,
    slug,
    cms: { cms: "generic", apiOrigin: "https://api.example.com" },
    cacheTTL: 300,
    websiteDomain: "www.example.com",
    siteProxy: false,
    ownerId: "usr_projection_test",
    at
  }) as TenantEvent

const updated = (changes: Record<string, unknown>) =>
  ({ _tag: "TenantConfigUpdated", changes, at }) as TenantEvent

/** One event onto the tenant's stream through `store`. */
const appendTo = (
  store: EventStore["Service"],
  tenantId: string,
  expectedVersion: number,
  event: TenantEvent
) =>
  store.append({
    streamId: tenantStream(tenantId),
    tenantId,
    expectedVersion,
    events: [tenantCodec.encode(event)],
    metadata
  })

/** The tenant's row in `tenants` as it is now. */
const viewOf = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<{ view: unknown }>`SELECT view FROM tenants WHERE tenant_id = ${tenantId}`, (rows) =>
      asJson<TenantRow>(rows[0]!.view)
    )
  )

/** A bump to these absolute versions. */
const bumped = (target: CacheTarget, versions: CacheVersions, at: string): CacheVersionsEvent => ({
  _tag: "CacheVersionsBumped",
  target,
  versions,
  at
})
const versions = (api: number, assets = 1, html = 1): CacheVersions => ({
  apiCacheVersion: api,
  assetCacheVersion: assets,
  htmlCacheVersion: html
})

/** One bump onto the tenant's cache-versions stream through `store`. */
const bumpOn = (
  store: EventStore["Service"],
  tenantId: string,
  expectedVersion: number,
  event: CacheVersionsEvent
) =>
  store.append({
    streamId: cacheVersionsStream(tenantId),
    tenantId,
    expectedVersion,
    events: [cacheVersionsCodec.encode(event)],
    metadata
  })

/** The tenant's row in `tenant_cache_versions` as it is now (undefined: none). */
const cacheVersionsOf = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ view: unknown }>`SELECT view FROM tenant_cache_versions WHERE tenant_id = ${tenantId}`,
      (rows) => (rows[0] === undefined ? undefined : asJson<CacheVersionsRow>(rows[0].view))
    )
  )

for (const target of databaseTargets) {
  layer(storageLayer(target), { excludeTestServices: true, timeout: 60_000 })(
    `tenants inline projection: ${target.name}`,
    (it) => {
      it.effect(
        "given a tenant row changed behind this process's back (another node, a rolled-back write), when the next event is appended, then its view is folded from the row as it now is, not from what this process last wrote",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const sql = yield* SqlClient.SqlClient
            const tenantId = `tnt_proj${Date.now().toString(36)}`
            const append = (expectedVersion: number, event: TenantEvent) =>
              appendTo(store, tenantId, expectedVersion, event)
            yield* append(0, created(tenantId, `proj-${Date.now().toString(36)}`))
            yield* append(1, updated({ cacheTTL: 120 }))
            // As a writer this process never saw would leave it: a newer view at a newer position.
            yield* sql`UPDATE tenants SET view = jsonb_set(view, '{cacheTTL}', '111'), position = position + 1000
              WHERE tenant_id = ${tenantId}`
            yield* append(2, updated({ websiteDomain: "www.changed.example.com" }))
            const view = yield* viewOf(tenantId)
            assert.strictEqual(view.cacheTTL, 111, "kept the change made behind its back")
            assert.strictEqual(view.websiteDomain, "www.changed.example.com", "applied the new event")
          })
      )

      it.effect(
        "given two stores on one database (two nodes, each remembering what it wrote) appending to one tenant in turn, then every event reaches the view, a stale expected version is a conflict, and the view equals a replay of the log",
        () =>
          Effect.gen(function* () {
            // Each `make` has its own memory of the rows it wrote, as each node's store has.
            const nodeA = yield* SqlEventStore.make(inlineProjections)
            const nodeB = yield* SqlEventStore.make(inlineProjections)
            const tenantId = `tnt_nodes${Date.now().toString(36)}`
            const append = (store: typeof nodeA, expectedVersion: number, event: TenantEvent) =>
              appendTo(store, tenantId, expectedVersion, event)
            const viewNow = viewOf(tenantId)

            yield* append(nodeA, 0, created(tenantId, `nodes-${Date.now().toString(36)}`))
            yield* append(nodeA, 1, updated({ cacheTTL: 120 })) // A now remembers version 2
            yield* append(nodeB, 2, updated({ websiteDomain: "www.b.example.com" }))
            yield* append(nodeA, 3, updated({ cacheTTL: 60 })) // A's memory is of version 2: not used
            const stale = yield* Effect.flip(append(nodeB, 3, updated({ cacheTTL: 30 })))
            assert.strictEqual(stale._tag, "VersionConflict")
            yield* append(nodeB, 4, updated({ siteProxy: true })) // B's memory is of version 3: not used
            yield* append(nodeA, 5, updated({ cacheTTL: 45 })) // A remembers 4, the row moved on: not used

            const maintained = yield* viewNow
            assert.strictEqual(maintained.cacheTTL, 45)
            assert.strictEqual(maintained.websiteDomain, "www.b.example.com")
            assert.strictEqual(maintained.siteProxy, true)
            yield* rebuildInlineProjection(tenantsProjection)
            assert.deepStrictEqual(yield* viewNow, maintained, "the view equals a replay of the log")
          })
      )

      it.effect(
        "given a tenant's cache-versions stream, then tenant_cache_versions holds its newest bump, none before the first, and leaves the tenants row alone",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const tenantId = `tnt_cv${Date.now().toString(36)}`
            yield* appendTo(store, tenantId, 0, created(tenantId, `cv-${Date.now().toString(36)}`))
            assert.isUndefined(yield* cacheVersionsOf(tenantId), "never bumped: no row (version 1 of each)")
            const before = yield* viewOf(tenantId)
            yield* bumpOn(store, tenantId, 0, bumped("api", versions(2), "2026-11-24T11:00:00.000Z"))
            yield* bumpOn(store, tenantId, 1, bumped("all", versions(3, 2, 2), "2026-11-24T12:00:00.000Z"))
            assert.deepStrictEqual(yield* cacheVersionsOf(tenantId), {
              versions: versions(3, 2, 2),
              updatedAt: "2026-11-24T12:00:00.000Z"
            })
            assert.deepStrictEqual(yield* viewOf(tenantId), before, "the tenants row holds no versions")
            assert.notProperty(before, "versions")
          })
      )

      it.effect(
        "given two stores on one database bumping one tenant in turn, then every bump reaches tenant_cache_versions, a stale expected version is a conflict, and the row equals a replay of the log",
        () =>
          Effect.gen(function* () {
            const nodeA = yield* SqlEventStore.make(inlineProjections)
            const nodeB = yield* SqlEventStore.make(inlineProjections)
            const tenantId = `tnt_cvnodes${Date.now().toString(36)}`
            const at = (n: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, n)).toISOString()
            yield* bumpOn(nodeA, tenantId, 0, bumped("api", versions(2), at(1)))
            yield* bumpOn(nodeA, tenantId, 1, bumped("api", versions(3), at(2))) // A now remembers version 2
            yield* bumpOn(nodeB, tenantId, 2, bumped("html", versions(3, 1, 2), at(3)))
            yield* bumpOn(nodeA, tenantId, 3, bumped("api", versions(4, 1, 2), at(4))) // A's memory is stale: not used
            const stale = yield* Effect.flip(bumpOn(nodeB, tenantId, 3, bumped("api", versions(9), at(5))))
            assert.strictEqual(stale._tag, "VersionConflict")
            yield* bumpOn(nodeB, tenantId, 4, bumped("assets", versions(4, 2, 2), at(6)))

            const maintained = yield* cacheVersionsOf(tenantId)
            assert.deepStrictEqual(maintained, { versions: versions(4, 2, 2), updatedAt: at(6) })
            yield* rebuildInlineProjection(cacheVersionsProjection)
            assert.deepStrictEqual(
              yield* cacheVersionsOf(tenantId),
              maintained,
              "the row equals a replay of the log"
            )
          })
      )
    }
  )
}
