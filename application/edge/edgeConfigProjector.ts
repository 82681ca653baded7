import { Effect } from "effect"
import { tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { Config, edgeKey } from "../config.ts"
import { loadAggregate } from "../handleCommand.ts"
import { EdgeSeal } from "../ports/EdgeSeal.ts"
import type { EventStore } from "../ports/EventStore.ts"
import { Kv } from "../ports/Kv.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { Projector } from "../projections/Projector.ts"
import type { TenantView } from "../projections/tenantView.ts"
import { tenantViewHandles } from "../projections/tenantView.ts"
import { buildEdgeSnapshot } from "./edgeSnapshot.ts"

/**
 * The tenant's API token sealed for its edges: opened from the tenant's state (sealed there
 * under its data key) and sealed again under EDGE_SEAL_KEY, once per token version (a save
 * or a rotation moves `apiTokenUpdatedAt`). A token that cannot be opened (the tenant was
 * deleted meanwhile: its key is shredded) is left out.
 */
const edgeSealedToken = (view: TenantView) =>
  Effect.gen(function* () {
    if (!view.hasApiToken || view.apiTokenUpdatedAt === null) return null
    const seal = yield* EdgeSeal
    const box = yield* SecretBox
    const open = Effect.gen(function* () {
      const loaded = yield* loadAggregate(tenantAggregate, tenantStream(view.tenantId))
      const state = loaded.state
      if (state.status !== "active" || state.apiToken === null) return yield* Effect.fail("no token" as const)
      return yield* box.open(view.tenantId, state.apiToken.sealedToken)
    })
    return yield* seal
      .sealToken({ tenantId: view.tenantId, slug: view.slug, tokenUpdatedAt: view.apiTokenUpdatedAt }, open)
      .pipe(Effect.catch(() => Effect.succeed(null)))
  })

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
  const written = new Map(
    yield* Effect.forEach(
      views,
      (view) =>
        Effect.map(
          edgeSealedToken(view),
          (sealed) => [view.slug, buildEdgeSnapshot(view, config, sealed)] as const
        ),
      { concurrency: 8 }
    )
  )
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
export const edgeConfigProjector: Projector<
  TenantReadModel | Kv | Config | EdgeSeal | SecretBox | EventStore
> = {
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
