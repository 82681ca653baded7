import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { tenantsProjection } from "../../adapters/sql/projections/tenants.ts"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import { asJson } from "../../adapters/sql/rows.ts"
import * as SqlEventStore from "../../adapters/sql/SqlEventStore.ts"
import { inlineProjections } from "../../adapters/sql/SqlStorage.ts"
import { encodeTenantEvent } from "../../application/events/tenantCodec.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import type { TenantView } from "../../application/projections/tenantView.ts"
import type { TenantEvent } from "../../domain/tenant/index.ts"
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
    streamId: `tenant-${tenantId}`,
    tenantId,
    expectedVersion,
    events: [encodeTenantEvent(event)],
    metadata
  })

/** The tenant's row in `tenants` as it is now. */
const viewOf = (tenantId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<{ view: unknown }>`SELECT view FROM tenants WHERE tenant_id = ${tenantId}`, (rows) =>
      asJson<TenantView>(rows[0]!.view)
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
    }
  )
}
