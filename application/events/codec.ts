import { Schema } from "effect"
import type { EventCatalog, Json } from "../../domain/shared/aggregate.ts"
import type { JsonObject, NewEvent, RecordedEvent } from "../ports/EventStore.ts"

type Stored = Pick<RecordedEvent, "type" | "schemaVersion" | "data" | "tenantId">

export interface EventCodec<E extends { readonly _tag: string }> {
  readonly catalog: EventCatalog<E>
  readonly handles: (type: string) => type is E["_tag"]
  readonly encode: (event: E) => NewEvent
  /** Trusts what we wrote ourselves (decoded once, at the edge it came in through). */
  readonly decode: (stored: Stored) => E
  /** Re-validates against the schema: for tests and repairs. */
  readonly decodeStrict: (stored: Stored) => E
  /** The stored data lifted to the current shape, without envelope fields: what audit output shows. */
  readonly data: (stored: Stored) => JsonObject
}

/** Lifts `data` stored at `version` to `target`; fails loudly on a gap in the chain. */
const upcast = <E extends { readonly _tag: string }>(
  catalog: EventCatalog<E>,
  type: string,
  version: number,
  target: number,
  data: Json
): Json => {
  // Data from a newer release (say, after a rollback) cannot be read safely as an older shape.
  if (version > target)
    throw new Error(`${type} v${version} is newer than this release understands (v${target})`)
  let current = data
  for (let v = version; v < target; v++) {
    const step = catalog.upcasters[type]?.[v]
    if (step === undefined) throw new Error(`No upcaster for ${type} v${v}`)
    current = step(current)
  }
  return current
}

/**
 * An aggregate's events to and from their stored shape: the tag becomes the stored type,
 * the rest is the data, older shapes are lifted through the catalog's upcasters. Fields
 * named in `envelope` live in the stored event's envelope (its `tenantId` column) rather
 * than in its data.
 */
export const eventCodec = <E extends { readonly _tag: string }>(
  catalog: EventCatalog<E>,
  envelope: ReadonlyArray<"tenantId"> = []
): EventCodec<E> => {
  const versions = catalog.schemaVersions as Readonly<Record<string, number>>
  const handles = (type: string): type is E["_tag"] => Object.hasOwn(versions, type)
  const lifted = (stored: Stored): JsonObject => {
    if (!handles(stored.type)) throw new Error(`Unknown event type ${stored.type}`)
    const target = versions[stored.type]!
    return stored.schemaVersion === target
      ? stored.data
      : upcast(catalog, stored.type, stored.schemaVersion, target, stored.data as Json)
  }
  const current = (stored: Stored): JsonObject =>
    envelope.length === 0 ? lifted(stored) : { ...lifted(stored), tenantId: stored.tenantId }
  const strict = Schema.decodeUnknownSync(catalog.schema)
  return {
    catalog,
    handles,
    encode: (event) => {
      const { _tag, ...fields } = event as E & Json
      const data: Json = { ...fields }
      for (const field of envelope) delete data[field]
      return { type: _tag, schemaVersion: versions[_tag]!, data }
    },
    decode: (stored) => ({ ...current(stored), _tag: stored.type }) as unknown as E,
    decodeStrict: (stored) => strict({ ...current(stored), _tag: stored.type }),
    data: lifted
  }
}
