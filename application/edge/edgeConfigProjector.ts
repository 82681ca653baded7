import { Effect } from "effect"
import { type QuotaEvent, quotaEvents, quotaStream } from "../../domain/quota/index.ts"
import { Config, edgeKey, type TenantryConfig } from "../config.ts"
import { quotaCodec } from "../events/catalog.ts"
import { EventStore } from "../ports/EventStore.ts"
import { Kv } from "../ports/Kv.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { Projector } from "../projections/Projector.ts"
import { tenantViewHandles } from "../projections/tenantView.ts"
import { buildEdgeSnapshot, noQuota, type SnapshotQuota } from "./edgeSnapshot.ts"

export const edgeConfigProjectorName = "edge-config"

/** Whether the plan has a monthly quota at all: without one, no quota stream is ever read. */
const hasQuota = (config: TenantryConfig): boolean => {
  const plan = config.plans[config.defaultPlan]
  return plan?.maxRequestsPerMonth !== undefined || plan?.maxBandwidthBytesPerMonth !== undefined
}

/** The newest month in which the tenant's quota stream records a limit reached in full. */
const quotaOf = (tenantId: string, config: TenantryConfig) =>
  Effect.gen(function* () {
    const action = config.plans[config.defaultPlan]?.quotaAction ?? "report"
    if (!hasQuota(config)) return { ...noQuota, action }
    const recorded = yield* (yield* EventStore).readStream(quotaStream(tenantId))
    let overMonth: string | null = null
    for (const stored of recorded) {
      const event = quotaCodec.decode(stored) as QuotaEvent
      if (event.threshold === 100 && (overMonth === null || event.month > overMonth)) overMonth = event.month
    }
    return { overMonth, action } satisfies SnapshotQuota
  })

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
  const quotas = yield* Effect.forEach(views, (view) => quotaOf(view.tenantId, config), { concurrency: 8 })
  const written = new Map(
    views.map((view, index) => [view.slug, buildEdgeSnapshot(view, config, quotas[index])] as const)
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
export const edgeConfigProjector: Projector<TenantReadModel | Kv | Config | EventStore> = {
  name: edgeConfigProjectorName,
  // A quota crossing changes the snapshot's `overQuota` too.
  handles: new Set([...tenantViewHandles, ...Object.keys(quotaEvents.schemaVersions)]),
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
