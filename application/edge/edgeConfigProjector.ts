import { Effect } from "effect"
import { Config, edgeKey } from "../config.ts"
import { Kv } from "../ports/Kv.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { Projector } from "../projections/Projector.ts"
import { tenantViewHandles } from "../projections/tenantView.ts"
import { buildEdgeSnapshot } from "./edgeSnapshot.ts"

export const edgeConfigProjectorName = "edge-config"

/** Writes (or removes) the snapshot of whichever tenant now holds `slug`. */
export const syncEdgeSnapshot = Effect.fn("syncEdgeSnapshot")(function* (slug: string) {
  const readModel = yield* TenantReadModel
  const kv = yield* Kv
  const config = yield* Config
  const view = yield* readModel.bySlug(slug)
  if (view === undefined) {
    yield* kv.delete(edgeKey(slug))
    return undefined
  }
  const snapshot = buildEdgeSnapshot(view, config)
  yield* kv.set(edgeKey(slug), JSON.stringify(snapshot))
  return snapshot
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
  handle: (events) =>
    Effect.gen(function* () {
      const readModel = yield* TenantReadModel
      const kv = yield* Kv
      const config = yield* Config
      // Events naming a slug (created, deleted) touch that slug, whoever holds it now;
      // the others touch their tenant's current slug. One read finds every holder.
      const slugs = new Set<string>()
      const tenantIds = new Set<string>()
      for (const event of events) {
        const slug = event.data.slug
        if (typeof slug === "string") slugs.add(slug)
        else tenantIds.add(event.tenantId)
      }
      const views = yield* readModel.liveAmong({ tenantIds: [...tenantIds], slugs: [...slugs] })
      const held = new Map(views.map((view) => [view.slug, view]))
      yield* kv.setMany(
        views.map((view) => [edgeKey(view.slug), JSON.stringify(buildEdgeSnapshot(view, config))] as const)
      )
      const left = [...slugs].filter((slug) => !held.has(slug))
      yield* Effect.forEach(left, (slug) => kv.delete(edgeKey(slug)), { concurrency: 8, discard: true })
    })
}
