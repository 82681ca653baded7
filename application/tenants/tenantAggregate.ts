import {
  type TenantCommand,
  type TenantError,
  type TenantEvent,
  type TenantState,
  tenantDecider,
  tenantStateVersion
} from "../../domain/tenant/index.ts"
import { decodeTenantEvent, encodeTenantEvent } from "../events/tenantCodec.ts"
import type { Aggregate } from "../handleCommand.ts"

export const tenantAggregate: Aggregate<TenantCommand, TenantEvent, TenantState, TenantError> = {
  decider: tenantDecider,
  encode: encodeTenantEvent,
  decode: decodeTenantEvent,
  stateVersion: tenantStateVersion,
  snapshotEvery: 100
}
