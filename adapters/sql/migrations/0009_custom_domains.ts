import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Custom domains. `custom_domains` is an inline read model of the domain streams
 * (`custom-domain-{hostname}`): one row per live domain, its tenant, status and the record
 * the API answers (`record`, without the check times, which live in `scheduled_jobs`), found
 * by hostname or by tenant. The claim on a hostname is the stream itself (see
 * domain/customDomain), not this table.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE custom_domains (
    hostname text PRIMARY KEY,
    tenant_id text NOT NULL,
    domain_id text NOT NULL,
    status text NOT NULL,
    created_at text NOT NULL,
    activated_at text,
    record jsonb NOT NULL
  )`
  yield* sql`CREATE INDEX custom_domains_by_tenant ON custom_domains (tenant_id, created_at)`
})
