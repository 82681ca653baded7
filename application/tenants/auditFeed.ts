import { Effect, Stream } from "effect"
import { type AuditEntry, toAuditEntry } from "../audit/auditEntry.ts"
import { type FollowOptions, followLog, resumeFrom } from "../audit/auditFeed.ts"
import type { RecordedEvent } from "../ports/EventStore.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { tenantUseCase, userUseCase } from "../useCase.ts"

/** One event of a feed: the audit event, with its id to resume from. */
export type FeedBatch<Entry> = ReadonlyArray<Entry>

/**
 * The tenant's audit events after the event `after` (0 or none: from its first), oldest first
 * in the log's commit-safe order, then live. Each element is one read's events.
 */
export const tenantAuditFeed = tenantUseCase(
  "tenantAuditFeed",
  "viewer",
  (_context, access, after: number | undefined, options: FollowOptions = {}) =>
    Effect.gen(function* () {
      const start = yield* resumeFrom(after, "after")
      const tenantIds = [access.tenant.tenantId]
      return (yield* followLog(start, Effect.succeed(tenantIds), options)).pipe(
        Stream.map((events): FeedBatch<AuditEntry> => events.map(toAuditEntry))
      )
    })
)

/** An event of the feed of every tenant: its audit event and its tenant's slug. */
export type GlobalAuditEntry = AuditEntry & { readonly slug: string | null }

/**
 * The audit events of every tenant the caller may see, after the event `after`: a master
 * admin sees every tenant; another user the tenants they are a member of, asked again each
 * time the feed is caught up (a tenant they join or create shows up from then on; its earlier
 * events are not replayed into a stream already past them).
 */
export const globalAuditFeed = userUseCase(
  "globalAuditFeed",
  (_context, user, after: number | undefined, options: FollowOptions = {}) =>
    Effect.gen(function* () {
      const start = yield* resumeFrom(after, "after")
      const readModel = yield* TenantReadModel
      const scope = user.masterAdmin
        ? Effect.succeed(undefined)
        : readModel
            .listForUser(user.userId)
            .pipe(Effect.map((tenants) => tenants.map((tenant) => tenant.view.tenantId)))
      // Slugs by tenant id, from the events that name them or the read model; Map-keyed.
      const slugs = new Map<string, string | null>()
      const slugOf = (event: RecordedEvent) =>
        Effect.gen(function* () {
          if (
            (event.type === "TenantCreated" || event.type === "TenantDeleted") &&
            typeof event.data.slug === "string"
          ) {
            slugs.set(event.tenantId, event.data.slug)
          }
          const known = slugs.get(event.tenantId)
          if (known !== undefined) return known
          const view = yield* readModel.byId(event.tenantId)
          const slug = view?.slug ?? null
          slugs.set(event.tenantId, slug)
          return slug
        })
      return (yield* followLog(start, scope, options)).pipe(
        Stream.mapEffect((events) =>
          Effect.forEach(events, (event) =>
            Effect.map(slugOf(event), (slug): GlobalAuditEntry => ({ ...toAuditEntry(event), slug }))
          )
        )
      )
    })
)
