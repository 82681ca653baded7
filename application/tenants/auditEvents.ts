import { Effect } from "effect"
import { toAuditEntry } from "../audit/auditEntry.ts"
import { EventStore } from "../ports/EventStore.ts"

/** A page of the tenant's history, newest first, keyset-paged on the event id. */
export const auditEvents = Effect.fn("auditEvents")(function* (
  tenantId: string,
  page: { readonly limit: number; readonly beforeId?: number | undefined }
) {
  const store = yield* EventStore
  const log = yield* store.readTenantLog(tenantId, { limit: page.limit, beforePosition: page.beforeId })
  return { events: log.events.map(toAuditEntry), hasMore: log.hasMore }
})
