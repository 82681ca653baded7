import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSecurity, OpenApi } from "effect/http-api"
import { CacheOutcome, RequestLogRecord, Surface } from "../../../domain/edge/requestLog.ts"
import { documentedQuery } from "./documented.ts"
import { PayloadTooLarge, Unauthorized, ValidationFailed } from "./errors.ts"
import { MaxBodyBytes } from "./guards.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

/** The largest body `POST /api/edge/logs` takes, compressed and again once decompressed (413 beyond). */
export const edgeLogsMaxBodyBytes = 5 * 1024 * 1024

/** One of EDGE_TOKENS as `Authorization: Bearer …` (adapters/http/edgeTokens.ts). */
export class EdgeAuthentication extends HttpApiMiddleware.Service<EdgeAuthentication>()(
  "tenantry/http/EdgeAuthentication",
  {
    security: { bearer: HttpApiSecurity.bearer },
    error: Unauthorized,
    requiredForClient: true
  }
) {}

export const IngestAnswerJson = Schema.Struct({
  accepted: Schema.Int,
  rejected: Schema.Int,
  duplicate: Schema.Int,
  errors: Schema.Array(Schema.Struct({ line: Schema.Int, message: Schema.String }))
})

/**
 * Edges ship request logs here: NDJSON (`application/x-ndjson`), optionally gzip, at most
 * 5 MiB either way. No payload schema: the body is read raw and each line checked on its own.
 */
export class EdgeLogsGroup extends HttpApiGroup.make("edgeLogs")
  .add(
    HttpApiEndpoint.post("ingestLogs", "/api/edge/logs", {
      success: IngestAnswerJson,
      error: [Unauthorized, PayloadTooLarge, ValidationFailed]
    }).annotate(
      OpenApi.Description,
      "Request logs from an edge: one record per NDJSON line (gzip allowed, `X-Batch-Id` optional), " +
        "each validated alone. 200 `{ accepted, rejected, duplicate, errors }` (the first 20 refused lines, " +
        "numbered from 1); a repeated batch id or record id stores nothing twice; unknown tenants are rejected."
    )
  )
  .middleware(EdgeAuthentication)
  .annotate(MaxBodyBytes, edgeLogsMaxBodyBytes)
  .annotate(OpenApi.Title, "Edge logs") {}

const { tenantId: _tenantId, ...storedFields } = RequestLogRecord.fields

/** A stored request log as GET …/logs answers it: the record without `tenantId`. */
export const RequestLogJson = Schema.Struct(storedFields)

const Iso8601 = Schema.String.pipe(
  Schema.check(
    Schema.isPattern(
      /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/
    ),
    Schema.makeFilter((value: string) =>
      Number.isFinite(Date.parse(value)) ? undefined : "must be a valid ISO 8601 date or date-time"
    )
  ),
  Schema.annotate({
    description: "ISO 8601: a date (midnight UTC) or a date-time (UTC unless it names an offset)",
    examples: ["2026-12-05T07:00:00Z"]
  })
)

export const requestLogsQuery = documentedQuery({
  limit: Schema.optional(
    Schema.Int.pipe(
      Schema.check(Schema.isBetween({ minimum: 1, maximum: 200 })),
      Schema.annotate({ description: "How many records, newest first (default 50).", examples: [50] })
    )
  ),
  cursor: Schema.optional(
    Schema.String.pipe(
      Schema.check(Schema.isMaxLength(512)),
      Schema.annotate({ description: "Opaque: the `nextCursor` of the previous page." })
    )
  ),
  status: Schema.optional(
    Schema.String.pipe(
      Schema.check(Schema.isPattern(/^(?:[1-5]\d\d|[1-5]xx)$/)),
      Schema.annotate({ description: "A status code (404) or a class (4xx).", examples: ["404", "5xx"] })
    )
  ),
  cache: Schema.optional(CacheOutcome),
  surface: Schema.optional(Surface),
  method: Schema.optional(
    Schema.String.pipe(
      Schema.check(Schema.isPattern(/^[A-Za-z]{1,16}$/)),
      Schema.annotate({ description: "An HTTP method, any letter case.", examples: ["GET"] })
    )
  ),
  path: Schema.optional(
    Schema.String.pipe(
      Schema.check(Schema.isPattern(/^\//), Schema.isMaxLength(2048)),
      Schema.annotate({
        description: "Paths starting with this text (a prefix, literal).",
        examples: ["/blog/"]
      })
    )
  ),
  from: Schema.optional(Iso8601),
  to: Schema.optional(Iso8601)
})

/** A tenant's request logs, for its members (viewer+). */
export class LogsGroup extends HttpApiGroup.make("logs")
  .add(
    HttpApiEndpoint.get("requestLogs", "/api/tenants/:slug/logs", {
      params: { slug: SlugParam },
      query: requestLogsQuery.fields,
      success: Schema.Struct({
        logs: Schema.Array(RequestLogJson),
        nextCursor: Schema.NullOr(Schema.String),
        hasMore: Schema.Boolean
      }),
      error: ValidationFailed
    })
      .annotate(
        OpenApi.Description,
        "The tenant's request logs, newest first (ts, then id), keyset-paged by `cursor`, filtered by " +
          "status, cache, surface, method, path prefix and a from/to window. Invalid query: 400 naming the field."
      )
      .annotate(...requestLogsQuery.document)
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Request logs") {}
