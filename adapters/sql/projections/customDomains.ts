import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { decodeEvent, typesOf } from "../../../application/events/catalog.ts"
import { domainCheckJob } from "../../../application/ports/ScheduleStore.ts"
import type { InlineProjection } from "../InlineProjection.ts"

const handles = typesOf(
  "CustomDomainAdded",
  "CustomDomainOwnershipVerified",
  "CustomDomainActivated",
  "CustomDomainMisconfigured",
  "CustomDomainExpired",
  "CustomDomainReopened",
  "CustomDomainRemoved",
  "TenantDeleted"
)

/**
 * `custom_domains` (migration 0009): one row per hostname a tenant holds, written in the
 * append's transaction. It also keeps the scheduler's row of the domain-check job in step
 * with the domain's life, in the same transaction: an added domain is due for a check at
 * once, a removed one (or one whose tenant is deleted) is never checked again. So a domain
 * can never be left without its schedule by a crash between the two.
 */
export const customDomainsProjection: InlineProjection = {
  name: "custom_domains",
  tables: ["custom_domains"],
  handles,
  apply: (events) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      for (const stored of events) {
        const tenantId = stored.tenantId
        const event = decodeEvent(stored)
        const set = (patch: Record<string, unknown>, status: string, extra = sql``) =>
          sql`UPDATE custom_domains SET status = ${status}, record = record || ${JSON.stringify(patch)}::jsonb ${extra}
            WHERE hostname = ${(event as { hostname: string }).hostname}
              AND domain_id = ${(event as { domainId: string }).domainId}`
        switch (event._tag) {
          case "CustomDomainAdded": {
            const record = {
              token: event.token,
              createdAt: event.at,
              verifiedAt: null,
              activatedAt: null,
              reasons: [],
              routingMisses: 0,
              lastCheckedAt: null
            }
            yield* sql`INSERT INTO custom_domains (hostname, tenant_id, domain_id, status, created_at, activated_at, record)
              VALUES (${event.hostname}, ${tenantId}, ${event.domainId}, 'pending', ${event.at}, NULL, ${JSON.stringify(record)}::jsonb)
              ON CONFLICT (hostname) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, domain_id = EXCLUDED.domain_id,
                status = EXCLUDED.status, created_at = EXCLUDED.created_at, activated_at = NULL, record = EXCLUDED.record`
            yield* sql`INSERT INTO scheduled_jobs (job, key, due_at, attempt)
              VALUES (${domainCheckJob}, ${event.hostname}, ${event.at}::timestamptz, 0)
              ON CONFLICT (job, key) DO UPDATE
                SET due_at = EXCLUDED.due_at, attempt = 0, revision = scheduled_jobs.revision + 1`
            break
          }
          case "CustomDomainOwnershipVerified":
            yield* set({ verifiedAt: event.at }, "misconfigured")
            break
          case "CustomDomainActivated":
            yield* set(
              { activatedAt: event.at, reasons: [], routingMisses: 0 },
              "active",
              sql`, activated_at = ${event.at}`
            )
            break
          case "CustomDomainMisconfigured":
            yield* set({ reasons: event.reasons }, "misconfigured")
            break
          case "CustomDomainExpired":
            yield* set({}, "expired")
            break
          case "CustomDomainReopened":
            yield* set({}, "pending")
            break
          case "CustomDomainRemoved":
            yield* sql`DELETE FROM custom_domains WHERE hostname = ${event.hostname} AND domain_id = ${event.domainId}`
            yield* sql`DELETE FROM scheduled_jobs WHERE job = ${domainCheckJob} AND key = ${event.hostname}`
            break
          case "TenantDeleted":
            yield* sql`DELETE FROM scheduled_jobs WHERE job = ${domainCheckJob}
              AND key IN (SELECT hostname FROM custom_domains WHERE tenant_id = ${tenantId})`
            yield* sql`UPDATE custom_domains SET status = 'released' WHERE tenant_id = ${tenantId}`
            break
          default:
            break
        }
      }
    }),
  reset: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM custom_domains`
  }).pipe(Effect.orDie)
}
