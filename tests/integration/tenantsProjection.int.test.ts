import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
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
            const streamId = `tenant-${tenantId}`
            const append = (expectedVersion: number, event: TenantEvent) =>
              store.append({
                streamId,
                tenantId,
                expectedVersion,
                events: [encodeTenantEvent(event)],
                metadata
              })
            yield* append(0, created(tenantId, `proj-${Date.now().toString(36)}`))
            yield* append(1, updated({ cacheTTL: 120 }))
            // As a writer this process never saw would leave it: a newer view at a newer position.
            yield* sql`UPDATE tenants SET view = jsonb_set(view, '{cacheTTL}', '111'), position = position + 1000
              WHERE tenant_id = ${tenantId}`
            yield* append(2, updated({ websiteDomain: "www.changed.example.com" }))
            const rows = yield* sql<{ view: unknown }>`SELECT view FROM tenants WHERE tenant_id = ${tenantId}`
            const view = (
              typeof rows[0]!.view === "string" ? JSON.parse(rows[0]!.view) : rows[0]!.view
            ) as TenantView
            assert.strictEqual(view.cacheTTL, 111, "kept the change made behind its back")
            assert.strictEqual(view.websiteDomain, "www.changed.example.com", "applied the new event")
          })
      )
    }
  )
}
