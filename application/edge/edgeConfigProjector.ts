import { Effect } from "effect"
import { hostKey } from "../../domain/edge/snapshot.ts"
import { type QuotaEvent, quotaEvents, quotaStream } from "../../domain/quota/index.ts"
import { tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { Config, edgeKey, type TenantryConfig } from "../config.ts"
import { quotaCodec } from "../events/catalog.ts"
import { loadAggregate } from "../handleCommand.ts"
import { CustomDomainReadModel, type DomainRow } from "../ports/CustomDomainReadModel.ts"
import { EdgeSeal } from "../ports/EdgeSeal.ts"
import { EventStore } from "../ports/EventStore.ts"
import { Kv } from "../ports/Kv.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import type { Projector } from "../projections/Projector.ts"
import type { TenantView } from "../projections/tenantView.ts"
import { tenantViewHandles } from "../projections/tenantView.ts"
import { type ActiveDomain, buildEdgeSnapshot, noQuota, type SnapshotQuota } from "./edgeSnapshot.ts"

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

/** Custom-domain events: they change the tenant's snapshot and the `host:` keys. */
export const customDomainEventTypes: ReadonlySet<string> = new Set([
  "CustomDomainAdded",
  "CustomDomainOwnershipVerified",
  "CustomDomainActivated",
  "CustomDomainMisconfigured",
  "CustomDomainExpired",
  "CustomDomainReopened",
  "CustomDomainRemoved"
])

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
 * `setMany`), and removes those of the slugs nobody holds now; and the `host:{hostname}`
 * keys of those tenants' custom domains and of `hostnames`: `{ "slug": … }` exactly while
 * the domain is active and its tenant live, removed otherwise. Answers the snapshots
 * written, by slug.
 */
export const syncEdgeSnapshots = Effect.fnUntraced(function* (keys: {
  readonly tenantIds: ReadonlyArray<string>
  readonly slugs: ReadonlyArray<string>
  readonly hostnames?: ReadonlyArray<string> | undefined
}) {
  const readModel = yield* TenantReadModel
  const domainsModel = yield* CustomDomainReadModel
  const kv = yield* Kv
  const config = yield* Config
  // Hostnames named by events whose row is another tenant's now: that tenant is synced too.
  const named = new Map<string, DomainRow | undefined>()
  for (const hostname of keys.hostnames ?? []) named.set(hostname, yield* domainsModel.byHostname(hostname))
  const tenantIds = new Set(keys.tenantIds)
  for (const row of named.values()) if (row !== undefined) tenantIds.add(row.tenantId)
  const views = yield* readModel.liveAmong({ tenantIds: [...tenantIds], slugs: keys.slugs })
  const rows = yield* domainsModel.ofTenants([
    ...new Set([...tenantIds, ...views.map((view) => view.tenantId)])
  ])
  const active = new Map<string, Array<ActiveDomain>>()
  for (const row of rows) {
    if (row.status !== "active" || row.activatedAt === null) continue
    const list = active.get(row.tenantId) ?? []
    list.push({ hostname: row.hostname, activatedAt: row.activatedAt })
    active.set(row.tenantId, list)
  }
  const written = new Map(
    yield* Effect.forEach(
      views,
      (view) =>
        Effect.zipWith(
          edgeSealedToken(view),
          quotaOf(view.tenantId, config),
          (sealedToken, quota) =>
            [
              view.slug,
              buildEdgeSnapshot(view, config, {
                activeDomains: active.get(view.tenantId) ?? [],
                sealedToken,
                quota
              })
            ] as const
        ),
      { concurrency: 8 }
    )
  )
  const slugOf = new Map(views.map((view) => [view.tenantId, view.slug] as const))
  const hosts = new Map<string, string | undefined>()
  for (const row of [...rows, ...named.values()]) {
    if (row === undefined) continue
    const slug = row.status === "active" ? slugOf.get(row.tenantId) : undefined
    // A hostname listed twice (its row and an event naming it) keeps the routed answer.
    if (!hosts.has(row.hostname) || slug !== undefined) hosts.set(row.hostname, slug)
  }
  for (const [hostname, row] of named) if (row === undefined) hosts.set(hostname, undefined)
  yield* kv.setMany([
    ...[...written].map(([slug, snapshot]) => [edgeKey(slug), JSON.stringify(snapshot)] as const),
    ...[...hosts]
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([hostname, slug]) => [hostKey(hostname), JSON.stringify({ slug })] as const)
  ])
  const left = keys.slugs.filter((slug) => !written.has(slug))
  const unrouted = [...hosts].filter(([, slug]) => slug === undefined).map(([hostname]) => hostKey(hostname))
  yield* Effect.forEach([...left.map(edgeKey), ...unrouted], (key) => kv.delete(key), {
    concurrency: 8,
    discard: true
  })
  return written
})

/** Writes (or removes) the snapshot of whichever tenant now holds `slug`, and its `host:` keys. */
export const syncEdgeSnapshot = Effect.fn("syncEdgeSnapshot")(function* (slug: string) {
  const written = yield* syncEdgeSnapshots({ tenantIds: [], slugs: [slug] })
  return written.get(slug)
})

/**
 * Keeps `proxy:{slug}` equal to the tenant's current state, and `host:{hostname}` to its
 * custom domains'. It works by slug and hostname and from the read models rather than from
 * the events themselves, so replays and duplicates converge on the same KV, and a deleted
 * tenant's late event can never remove the snapshot of a new tenant that took its slug.
 */
export const edgeConfigProjector: Projector<
  TenantReadModel | CustomDomainReadModel | Kv | Config | EdgeSeal | SecretBox | EventStore
> = {
  name: edgeConfigProjectorName,
  // A quota crossing changes the snapshot's `overQuota` too.
  handles: new Set([
    ...tenantViewHandles,
    ...customDomainEventTypes,
    ...Object.keys(quotaEvents.schemaVersions)
  ]),
  // Events naming a slug (created, deleted) touch that slug, whoever holds it now; the
  // others touch their tenant's current slug; domain events also their hostname. One read
  // finds every holder.
  handle: (events) => {
    const slugs = new Set<string>()
    const tenantIds = new Set<string>()
    const hostnames = new Set<string>()
    for (const event of events) {
      const slug = event.data.slug
      const hostname = event.data.hostname
      if (typeof hostname === "string" && customDomainEventTypes.has(event.type)) hostnames.add(hostname)
      if (typeof slug === "string") slugs.add(slug)
      tenantIds.add(event.tenantId)
    }
    return Effect.asVoid(
      syncEdgeSnapshots({ tenantIds: [...tenantIds], slugs: [...slugs], hostnames: [...hostnames] })
    )
  }
}
