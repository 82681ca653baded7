import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Instant } from "../shared/ids.ts"

export const CacheTarget = Schema.Literals(["api", "assets", "html", "all"])
export type CacheTarget = typeof CacheTarget.Type

export const CacheVersions = Schema.Struct({
  apiCacheVersion: Schema.Int,
  assetCacheVersion: Schema.Int,
  htmlCacheVersion: Schema.Int
})
export type CacheVersions = typeof CacheVersions.Type

/**
 * The tenant's cache versions after a bump, in full: the stream `cache-versions-{tenantId}`
 * holds only these, so its last event alone is its state.
 */
export const CacheVersionsBumped = Schema.TaggedStruct("CacheVersionsBumped", {
  target: CacheTarget,
  versions: CacheVersions,
  at: Instant
})

export const CacheVersionsEvent = Schema.Union([CacheVersionsBumped])
export type CacheVersionsEvent = typeof CacheVersionsEvent.Type

export const cacheVersionsEvents: EventCatalog<CacheVersionsEvent> = {
  schema: CacheVersionsEvent,
  schemaVersions: { CacheVersionsBumped: 1 },
  upcasters: {},
  sealedFields: {}
}
