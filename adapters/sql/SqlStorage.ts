import { Layer } from "effect"
import * as Database from "./Database.ts"
import type { InlineProjection } from "./InlineProjection.ts"
import { cacheVersionsProjection } from "./projections/cacheVersions.ts"
import { customDomainsProjection } from "./projections/customDomains.ts"
import { invitesProjection } from "./projections/invites.ts"
import { membershipsProjection } from "./projections/memberships.ts"
import { tenantKeysProjection } from "./projections/tenantKeys.ts"
import { tenantsProjection } from "./projections/tenants.ts"
import { webhooksProjection } from "./projections/webhooks.ts"
import * as SqlEventStore from "./SqlEventStore.ts"
import * as SqlProjectionCheckpoints from "./SqlProjectionCheckpoints.ts"
import * as SqlScheduleStore from "./SqlScheduleStore.ts"

/** Every read model kept inline with appends. */
export const inlineProjections: ReadonlyArray<InlineProjection> = [
  tenantsProjection,
  cacheVersionsProjection,
  membershipsProjection,
  invitesProjection,
  webhooksProjection,
  tenantKeysProjection,
  customDomainsProjection
]

/** The event store, checkpoints, read models and the scheduler's due times over an already-built database layer. */
export const layerOn = <E, R>(
  database: Layer.Layer<Layer.Success<ReturnType<typeof Database.layer>>, E, R>
) =>
  Layer.mergeAll(
    SqlEventStore.layer(inlineProjections),
    SqlProjectionCheckpoints.layer,
    SqlScheduleStore.layer
  ).pipe(Layer.provideMerge(database))

export const layer = (config: Database.DatabaseConfig) => layerOn(Database.layer(config))
