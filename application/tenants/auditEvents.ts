import { Effect } from "effect"
import { toAuditEntry } from "../audit/auditEntry.ts"
import { EventStore } from "../ports/EventStore.ts"
import { tenantUseCase } from "../useCase.ts"

/** A page of the tenant's history, newest first, keyset-paged on the event id. */
export const auditEvents = tenantUseCase(
  "auditEvents",
  "viewer",
  (_context, access, page: { readonly limit: number; readonly beforeId?: number | undefined }) =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const log = yield* store.readTenantLog(access.tenant.tenantId, {
        limit: page.limit,
        beforePosition: page.beforeId
      })
      return { events: log.events.map(toAuditEntry), hasMore: log.hasMore }
    })
)

/** The tenant's newest event id, its count, and each of its streams' version and head hash. */
export const auditHead = tenantUseCase("auditHead", "viewer", (_context, access) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const head = yield* store.tenantHead(access.tenant.tenantId)
    return {
      id: head.position,
      count: head.count,
      streams: head.streams.map((stream) => ({
        stream: stream.streamId,
        version: stream.version,
        hash: stream.hash
      }))
    }
  })
)
