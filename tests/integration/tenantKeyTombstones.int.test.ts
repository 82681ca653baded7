import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { migrate, migrations } from "../../adapters/sql/migrations/index.ts"
import * as PgliteClient from "../../adapters/sql/PgliteClient.ts"

/** The schema as the release before migration 0007 left it. */
const before0007 = Migrator.make({})({
  loader: Migrator.fromRecord(
    Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0007"))
  ),
  table: "tenantry_migrations"
})

it.live(
  "given a database from before 0007 where a deleted tenant's key survived (a crash between the deletion and the shred), when it upgrades, then that key is shredded and the live tenant's key is kept",
  () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* before0007
      yield* sql`INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
        VALUES ('tenant-tnt_deleted', 1, 'tnt_deleted', 'TenantDeleted', 1, '{"slug":"gone","at":"2026-01-01T00:00:00.000Z"}', '{}')`
      yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key) VALUES ('tnt_deleted', 'v1.still-alive'), ('tnt_live', 'v1.live')`

      yield* migrate

      const rows = yield* sql<{ tenant_id: string; wrapped_key: string | null; shredded: boolean }>`
        SELECT tenant_id, wrapped_key, shredded_at IS NOT NULL AS shredded FROM tenant_keys ORDER BY tenant_id`
      assert.deepStrictEqual(
        rows.map((row) => ({ ...row })),
        [
          { tenant_id: "tnt_deleted", wrapped_key: null, shredded: true },
          { tenant_id: "tnt_live", wrapped_key: "v1.live", shredded: false }
        ]
      )
    }).pipe(Effect.provide(PgliteClient.layer())),
  60_000
)
