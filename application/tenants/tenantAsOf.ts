import { Effect } from "effect"
import type { CacheVersionsEvent } from "../../domain/cacheVersions/index.ts"
import { cacheVersionsStream } from "../../domain/cacheVersions/index.ts"
import type { TenantEvent } from "../../domain/tenant/index.ts"
import { TenantNotFound, tenantStream } from "../../domain/tenant/index.ts"
import { InvalidInput } from "../context.ts"
import { decodeEvent } from "../events/catalog.ts"
import { type Checkpoint, EventStore, type RecordedEvent } from "../ports/EventStore.ts"
import {
  type CacheVersionsRow,
  evolveCacheVersionsRow,
  evolveTenantRow,
  type TenantRow,
  type TenantView,
  tenantViewOf
} from "../projections/tenantView.ts"
import { tenantUseCase } from "../useCase.ts"

/** An ISO 8601 date or date-time; a date-time without a zone is UTC. */
const isoPattern =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i

/** A point in the log: right after an event (by id), or an instant. */
export type AsOf = { readonly id: number } | { readonly at: string }

/** `asOf` as the client sent it: an event id, or an ISO 8601 time; else invalid input. */
export const parseAsOf = (raw: string): AsOf | undefined => {
  const value = raw.trim()
  if (/^\d{1,15}$/.test(value)) return { id: Number(value) }
  const match = isoPattern.exec(value)
  if (match === null) return undefined
  const zoned =
    value.includes("T") || value.includes(" ") ? (match[1] === undefined ? `${value}Z` : value) : value
  const at = Date.parse(zoned.replace(" ", "T"))
  return Number.isNaN(at) ? undefined : { at: new Date(at).toISOString() }
}

const invalid = (message: string) => new InvalidInput({ message, errors: { asOf: [message] } })

/**
 * The tenant as it was at `asOf`, folded from its streams by the same evolve functions as its
 * read models: after the event `id` in the log's commit-safe order (the order the feeds
 * deliver; the state a feed consumer had once it had seen that event), or after every event
 * recorded at or before an instant. Who may look back is today's membership (viewer+): the
 * policy runs on the tenant as it is now. Not a tenant yet, or deleted, then: `TenantNotFound` (404).
 */
export const tenantAsOf = tenantUseCase("tenantAsOf", "viewer", (_context, access, raw: string) =>
  Effect.gen(function* () {
    const asOf = parseAsOf(raw)
    if (asOf === undefined) {
      return yield* invalid("must be an event id or an ISO 8601 time such as 2026-12-05T08:00:00Z")
    }
    const store = yield* EventStore
    let until: (event: RecordedEvent) => boolean
    if ("id" in asOf) {
      const checkpoint: Checkpoint | undefined = yield* store.checkpointAt(asOf.id)
      if (checkpoint === undefined) return yield* invalid(`must be the id of an event (${asOf.id} is none)`)
      until = (event) =>
        event.transactionId < checkpoint.transactionId ||
        (event.transactionId === checkpoint.transactionId && event.position <= checkpoint.position)
    } else {
      until = (event) => event.recordedAt <= asOf.at
    }
    const tenantId = access.tenant.tenantId
    let row: TenantRow | null = null
    for (const event of yield* store.readStream(tenantStream(tenantId))) {
      if (!until(event)) break
      row = evolveTenantRow(row, decodeEvent(event) as TenantEvent)
    }
    if (row === null) return yield* new TenantNotFound()
    let versions: CacheVersionsRow | null = null
    for (const event of yield* store.readStream(cacheVersionsStream(tenantId))) {
      if (!until(event)) break
      versions = evolveCacheVersionsRow(versions, decodeEvent(event) as CacheVersionsEvent)
    }
    const view: TenantView = tenantViewOf(row, versions)
    return { view, asOf }
  })
)
