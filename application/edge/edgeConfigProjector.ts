import { Effect } from "effect"
import { Config, edgeKey } from "../config.ts"
import { Kv } from "../ports/Kv.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { Projector } from "../projections/Projector.ts"
import { tenantViewHandles } from "../projections/tenantView.ts"
import { buildEdgeSnapshot } from "./edgeSnapshot.ts"

export const edgeConfigProjectorName = "edge-config"

/**
 * Writes the snapshots of the live tenants among `tenantIds` and `slugs` (one read, one
 * `setMany`), and removes those of the slugs nobody holds now. Answers the snapshots
 * written, by slug.
 */
export const syncEdgeSnapshots = Effect.fnUntraced(function* (keys: {
  readonly tenantIds: ReadonlyArray<string>
  readonly slugs: ReadonlyArray<string>
}) {
  const readModel = yield* TenantReadModel
  const kv = yield* Kv
  const config = yield* Config
  const views = yield* readModel.liveAmong(keys)
  const written = new Map(views.map((view) => [view.slug, buildEdgeSnapshot(view, config)] as const))
  yield* kv.setMany(
    [...written].map(([slug, snapshot]) => [edgeKey(slug), JSON.stringify(snapshot)] as const)
  )
  const left = keys.slugs.filter((slug) => !written.has(slug))
  yield* Effect.forEach(left, (slug) => kv.delete(edgeKey(slug)), { concurrency: 8, discard: true })
  return written
})

/** Writes (or removes) the snapshot of whichever tenant now holds `slug`. */
export const syncEdgeSnapshot = Effect.fn("syncEdgeSnapshot")(function* (slug: string) {
  const written = yield* syncEdgeSnapshots({ tenantIds: [], slugs: [slug] })
  return written.get(slug)
})

/**
 * Keeps `proxy:{slug}` equal to the tenant's current state. It works by slug and from
 * the read model rather than from the events themselves, so replays and duplicates
 * converge on the same snapshot, and a deleted tenant's late event can never remove
 * the snapshot of a new tenant that took its slug.
 */
export const edgeConfigProjector: Projector<TenantReadModel | Kv | Config> = {
  name: edgeConfigProjectorName,
  handles: tenantViewHandles,
  // Events naming a slug (created, deleted) touch that slug, whoever holds it now; the
  // others touch their tenant's current slug. One read finds every holder.
  handle: (events) => {
    const slugs = new Set<string>()
    const tenantIds = new Set<string>()
    for (const event of events) {
      const slug = event.data.slug
      if (typeof slug === "string") slugs.add(slug)
      else tenantIds.add(event.tenantId)
    }
    return Effect.asVoid(syncEdgeSnapshots({ tenantIds: [...tenantIds], slugs: [...slugs] }))
  }
}
