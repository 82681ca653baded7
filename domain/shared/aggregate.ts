import type { Schema } from "effect"

/**
 * How an aggregate's events are stored: the union of their schemas (the tag is the
 * stored type), the current shape version of each type, the upcasters that lift older
 * shapes, and the fields that hold sealed secrets (never shown in audit output).
 */
export interface EventCatalog<Event extends { readonly _tag: string }> {
  readonly schema: Schema.Codec<Event, unknown>
  readonly schemaVersions: Readonly<Record<Event["_tag"], number>>
  /** `upcasters[type][n]` turns version n's data into version n + 1's. */
  readonly upcasters: Readonly<Record<string, Readonly<Record<number, (data: Json) => Json>>>>
  readonly sealedFields: Partial<Readonly<Record<Event["_tag"], ReadonlyArray<string>>>>
}

export type Json = Record<string, unknown>
