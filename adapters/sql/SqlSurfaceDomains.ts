import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { type SurfaceDomain, SurfaceDomains } from "../../application/ports/SurfaceDomains.ts"

interface DomainRecord {
  readonly hostname: string
  readonly status: string
  readonly activated_at: string | null
}

/** The tenant's rows of `custom_domains` (the custom domains' inline read model, migration 0009). */
export const layer = Layer.effect(
  SurfaceDomains,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return SurfaceDomains.of({
      forTenant: (tenantId) =>
        sql<DomainRecord>`SELECT hostname, status, activated_at FROM custom_domains
          WHERE tenant_id = ${tenantId} ORDER BY created_at, hostname`.pipe(
          Effect.map((rows) =>
            rows.map(
              (row): SurfaceDomain => ({
                hostname: row.hostname,
                status: row.status,
                activatedAt: row.activated_at
              })
            )
          ),
          Effect.orDie
        )
    })
  })
)
