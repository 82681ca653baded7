import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { documentedQuery } from "./documented.ts"
import { RateLimited, ValidationFailed } from "./errors.ts"
import { Authentication } from "./security.ts"

/** `?after=`: the id of the last event the consumer has (0: from the start); `Last-Event-ID` wins over it. */
export const auditStreamQuery = documentedQuery({
  after: Schema.optional(
    Schema.Int.pipe(
      Schema.check(Schema.isGreaterThanOrEqualTo(0)),
      Schema.annotate({
        description:
          "Resume after this event id (0 or absent: from the first event). A Last-Event-ID header wins over it.",
        examples: [1234]
      })
    )
  )
})

/** An audit feed: SSE by default, NDJSON with `Accept: application/x-ndjson`; written by the handler. */
export const AuditStream = Schema.String.pipe(
  HttpApiSchema.asText({ contentType: "text/event-stream" })
).annotate({
  description:
    "Server-Sent Events (`id:` the event id, `event: audit`, `data:` the audit event), or with `Accept: application/x-ndjson` one audit event per line; heartbeats at least every 15 s; a last `end` message with the id to resume after when the server shuts down (docs/audit.md)."
})

export const auditStreamErrors = [ValidationFailed, RateLimited] as const

/** Audit events across tenants: master admins see every tenant, other users their own. */
export class AuditGroup extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("globalAuditStream", "/api/audit-events/stream", {
      query: auditStreamQuery.fields,
      success: AuditStream,
      error: auditStreamErrors
    })
      .annotate(
        OpenApi.Description,
        "Every audit event the caller may see (each with its tenant's slug), oldest first after the checkpoint, then live."
      )
      .annotate(...auditStreamQuery.document)
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Audit") {}
