import { Schema } from "effect"
import { CacheVersions, type CacheVersionsEvent } from "./events.ts"

export const CacheVersionsState = Schema.Struct({ versions: CacheVersions })
export type CacheVersionsState = typeof CacheVersionsState.Type

export const cacheVersionsStateVersion = 1

/** Every tenant starts at version 1 of each cache, before its stream has any event. */
export const initialState: CacheVersionsState = {
  versions: { apiCacheVersion: 1, assetCacheVersion: 1, htmlCacheVersion: 1 }
}

/** Events carry the absolute versions: the last one is the state. */
export const evolve = (_state: CacheVersionsState, event: CacheVersionsEvent): CacheVersionsState => ({
  versions: event.versions
})
