import { Effect } from "effect"
import { Migrator } from "effect/sql"
import eventStore from "./0001_event_store.ts"
import readModels from "./0002_read_models.ts"
import tenantKeys from "./0003_tenant_keys.ts"
import tenantInvites from "./0004_tenant_invites.ts"
import tenantWebhooks from "./0005_tenant_webhooks.ts"
import streamsPerAggregate from "./0006_streams_per_aggregate.ts"
import tenantKeyTombstones from "./0007_tenant_key_tombstones.ts"
import projectionLeases from "./0008_projection_leases.ts"
import customDomains from "./0009_custom_domains.ts"
import schedules from "./0010_schedules.ts"
import auditChain from "./0011_audit_chain.ts"

/**
 * Every schema change, in order. Applied at start; each runs once, in a transaction,
 * under the migrator's table lock, so concurrent starts are safe.
 */
export const migrations = {
  "0001_event_store": eventStore,
  "0002_read_models": readModels,
  "0003_tenant_keys": tenantKeys,
  "0004_tenant_invites": tenantInvites,
  "0005_tenant_webhooks": tenantWebhooks,
  "0006_streams_per_aggregate": streamsPerAggregate,
  "0007_tenant_key_tombstones": tenantKeyTombstones,
  "0008_projection_leases": projectionLeases,
  "0009_custom_domains": customDomains,
  "0010_schedules": schedules,
  "0011_audit_chain": auditChain
}

export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "tenantry_migrations"
}).pipe(Effect.orDie)
