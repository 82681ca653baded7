import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { SlugFormat } from "../../../domain/tenant/index.ts"
import { AuditStream, auditStreamErrors, auditStreamQuery } from "./audit.ts"
import {
  ApiConfigBody,
  ApiConfigJson,
  ApiTokenBody,
  AuditEvent,
  AuditHead,
  CreateTenantBody,
  EdgeConfigResponse,
  RefreshCacheBody,
  RefreshCacheResponse,
  TenantAsOfResponse,
  TenantListItem,
  TenantResponse,
  UpdateTenantBody
} from "./bodies.ts"
import { documentedQuery } from "./documented.ts"
import { Conflict, PlanLimit, SlugTaken, ValidationFailed } from "./errors.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

/** Any slug-shaped value; a reserved one is valid here and merely unavailable. */
const slugAvailabilityQuery = documentedQuery({ slug: SlugFormat })

const auditEventsQuery = documentedQuery({
  limit: Schema.optional(
    Schema.Int.pipe(
      Schema.check(Schema.isBetween({ minimum: 1, maximum: 200 })),
      Schema.annotate({ description: "How many events, newest first (default 50).", examples: [50] })
    )
  ),
  beforeId: Schema.optional(
    Schema.Int.pipe(
      Schema.check(Schema.isGreaterThanOrEqualTo(1)),
      Schema.annotate({ description: "Only events with a smaller id (keyset pagination).", examples: [1234] })
    )
  )
})

const tenantAsOfQuery = documentedQuery({
  asOf: Schema.optional(
    Schema.String.annotate({
      description:
        "An event id (the state right after that event, in the log's commit order) or an ISO 8601 time (after every event recorded then or before; without a zone, UTC). Anything else is 400; an id no event has is 400.",
      examples: ["1234", "2026-12-05T08:00:00Z"]
    })
  )
})

/** The tenant collection: any signed-in user. */
export class TenantsGroup extends HttpApiGroup.make("tenants")
  .add(
    HttpApiEndpoint.get("listTenants", "/api/tenants", {
      success: Schema.Struct({ total: Schema.Int, tenants: Schema.Array(TenantListItem) })
    }).annotate(OpenApi.Description, "The caller's tenants, each with the caller's role."),
    HttpApiEndpoint.post("createTenant", "/api/tenants", {
      payload: CreateTenantBody,
      success: Schema.Struct({ ok: Schema.Boolean, key: Schema.String, proxyBase: Schema.String }).pipe(
        HttpApiSchema.status(201)
      ),
      error: [ValidationFailed, PlanLimit, SlugTaken]
    }).annotate(OpenApi.Description, "Creates a tenant owned by the caller."),
    HttpApiEndpoint.get("slugAvailability", "/api/tenants/slug-availability", {
      query: slugAvailabilityQuery.fields,
      success: Schema.Struct({ slug: Schema.String, available: Schema.Boolean }),
      error: ValidationFailed
    })
      .annotate(
        OpenApi.Description,
        "Whether a slug is free; a malformed slug is 400, a reserved one unavailable."
      )
      .annotate(...slugAvailabilityQuery.document)
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Tenants") {}

const tenantPath = "/api/tenants/:slug"
const slugParams = { slug: SlugParam }

/** One tenant, for its members (each use case states the role it needs). */
export class TenantGroup extends HttpApiGroup.make("tenant")
  .add(
    HttpApiEndpoint.get("getTenant", tenantPath, {
      params: slugParams,
      query: tenantAsOfQuery.fields,
      success: TenantAsOfResponse,
      error: ValidationFailed
    })
      .annotate(
        OpenApi.Description,
        "The tenant's configuration and state; with `asOf`, as it was then, folded from its event log (404 if it did not exist then)."
      )
      .annotate(...tenantAsOfQuery.document),
    HttpApiEndpoint.put("updateTenant", tenantPath, {
      params: slugParams,
      payload: UpdateTenantBody,
      success: TenantResponse,
      error: [ValidationFailed, Conflict]
    }).annotate(OpenApi.Description, "Partial update; the slug cannot change."),
    HttpApiEndpoint.delete("deleteTenant", tenantPath, {
      params: slugParams,
      success: Schema.Struct({ ok: Schema.Boolean, key: Schema.String }),
      error: Conflict
    }).annotate(OpenApi.Description, "Deletes the tenant, its edge snapshot and its secrets."),
    HttpApiEndpoint.post("refreshCache", `${tenantPath}/refresh-cache`, {
      params: slugParams,
      payload: RefreshCacheBody,
      success: RefreshCacheResponse,
      error: [ValidationFailed, Conflict]
    }).annotate(OpenApi.Description, "Increments the chosen cache version(s) by one."),
    HttpApiEndpoint.post("edgeConfig", `${tenantPath}/edge-config`, {
      params: slugParams,
      success: EdgeConfigResponse
    }).annotate(
      OpenApi.Description,
      "Rewrites proxy:{slug} from current state and reads it back; changes nothing."
    ),
    HttpApiEndpoint.get("auditEvents", `${tenantPath}/audit-events`, {
      params: slugParams,
      query: auditEventsQuery.fields,
      success: Schema.Struct({ events: Schema.Array(AuditEvent), hasMore: Schema.Boolean }),
      error: ValidationFailed
    })
      .annotate(OpenApi.Description, "The tenant's history from the event log, newest first.")
      .annotate(...auditEventsQuery.document),
    HttpApiEndpoint.get("auditStream", `${tenantPath}/audit-events/stream`, {
      params: slugParams,
      query: auditStreamQuery.fields,
      success: AuditStream,
      error: auditStreamErrors
    })
      .annotate(
        OpenApi.Description,
        "The tenant's audit events, oldest first after the checkpoint, then live (SSE or NDJSON)."
      )
      .annotate(...auditStreamQuery.document),
    HttpApiEndpoint.get("auditHead", `${tenantPath}/audit-events/head`, {
      params: slugParams,
      success: AuditHead
    }).annotate(
      OpenApi.Description,
      "The tenant's newest event id, its event count, and each of its streams' version and head hash."
    ),
    HttpApiEndpoint.put("saveApiConfig", `${tenantPath}/api-config`, {
      params: slugParams,
      payload: ApiConfigBody,
      success: ApiConfigJson,
      error: [ValidationFailed, Conflict]
    }).annotate(OpenApi.Description, "Replaces the API proxy configuration (never the token)."),
    HttpApiEndpoint.put("saveApiToken", `${tenantPath}/api-token`, {
      params: slugParams,
      payload: ApiTokenBody,
      success: Schema.Struct({ ok: Schema.Boolean, updatedAt: Schema.String }),
      error: [ValidationFailed, Conflict]
    }).annotate(OpenApi.Description, "Write-only: stores the API token encrypted; it is never returned.")
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Tenant") {}
