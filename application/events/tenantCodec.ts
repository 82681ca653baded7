import { Schema } from "effect"
import { schemaVersions, TenantEvent, type TenantEventType, upcast } from "../../domain/tenant/index.ts"
import type { JsonObject, NewEvent, RecordedEvent } from "../ports/EventStore.ts"

/**
 * Tenant events to and from their stored shape: the tag becomes the stored type, the
 * rest is the data. Events are plain JSON, so encoding is a copy; reading lifts old
 * shapes through the upcasters and trusts what we wrote ourselves (decoded once, at the
 * edge where it came in). `decodeStrict` re-validates, for tests and repairs.
 */
export const encodeTenantEvent = (event: TenantEvent): NewEvent => {
  const { _tag, ...data } = event
  return { type: _tag, schemaVersion: schemaVersions[_tag], data }
}

const current = (stored: Pick<RecordedEvent, "type" | "schemaVersion" | "data">): JsonObject => {
  const target = schemaVersions[stored.type as TenantEventType]
  if (target === undefined) throw new Error(`Unknown tenant event type ${stored.type}`)
  return stored.schemaVersion === target
    ? stored.data
    : upcast(stored.type, stored.schemaVersion, target, stored.data as Record<string, unknown>)
}

export const decodeTenantEvent = (
  stored: Pick<RecordedEvent, "type" | "schemaVersion" | "data">
): TenantEvent => ({ ...current(stored), _tag: stored.type }) as TenantEvent

const strict = Schema.decodeUnknownSync(TenantEvent)

export const decodeTenantEventStrict = (
  stored: Pick<RecordedEvent, "type" | "schemaVersion" | "data">
): TenantEvent => strict({ ...current(stored), _tag: stored.type })

export const isTenantEventType = (type: string): type is TenantEventType => type in schemaVersions
