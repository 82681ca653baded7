import { Effect } from "effect"
import { Migrator } from "effect/sql"
import eventStore from "./0001_event_store.ts"
import readModels from "./0002_read_models.ts"
import tenantKeys from "./0003_tenant_keys.ts"
import tenantInvites from "./0004_tenant_invites.ts"
import tenantWebhooks from "./0005_tenant_webhooks.ts"

/**
 * Every schema change, in order. Applied at start; each runs once, in a transaction,
 * under the migrator's table lock, so concurrent starts are safe.
 */
export const migrations = {
  "0001_event_store": eventStore,
  "0002_read_models": readModels,
  "0003_tenant_keys": tenantKeys,
  "0004_tenant_invites": tenantInvites,
  "0005_tenant_webhooks": tenantWebhooks
}

export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "tenantry_migrations"
}).pipe(Effect.orDie)
