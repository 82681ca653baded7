import { HttpApi, HttpApiMiddleware, OpenApi } from "effect/http-api"
import { AnalyticsGroup, UsageGroup } from "./analytics.ts"
import { AuditGroup } from "./audit.ts"
import { ChecksGroup } from "./checks.ts"
import { ConfigGroup, DomainsGroup } from "./domains.ts"
import { UseCaseErrors, ValidationFailed } from "./errors.ts"
import { EdgeLogsGroup, LogsGroup } from "./logs.ts"
import { InvitesGroup, MembersGroup } from "./members.ts"
import { SystemGroup } from "./system.ts"
import { TenantGroup, TenantsGroup } from "./tenants.ts"
import { WebhookReceiversGroup, WebhooksGroup } from "./webhooks.ts"

/** Turns request decoding failures into `400 validation_failed` with per-field errors. */
export class RequestValidation extends HttpApiMiddleware.Service<RequestValidation>()(
  "tenantry/http/RequestValidation",
  {
    error: ValidationFailed
  }
) {}

/**
 * The whole API, once: the server, /openapi.json, /docs and the typed client derive from it.
 * Its endpoints' route guards (rate and body limits, screens; see guards.ts) run first, then
 * request validation and each group's own middleware (sessions, tenant access).
 */
export class Api extends HttpApi.make("tenantry")
  .add(TenantsGroup)
  .add(TenantGroup)
  .add(ChecksGroup)
  .add(MembersGroup)
  .add(InvitesGroup)
  .add(AuditGroup)
  .add(SystemGroup)
  .add(WebhooksGroup)
  .add(WebhookReceiversGroup)
  .add(DomainsGroup)
  .add(ConfigGroup)
  .add(LogsGroup)
  .add(EdgeLogsGroup)
  .add(UsageGroup)
  .add(AnalyticsGroup)
  .middleware(RequestValidation)
  .middleware(UseCaseErrors)
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "error" })
  .annotate(HttpApi.QueryParseOptions, { errors: "all" })
  .annotate(HttpApi.HeadersParseOptions, {})
  .annotateMerge(
    OpenApi.annotations({
      title: "Tenantry",
      version: "0.1.0",
      description: "Control plane of an edge caching proxy for headless CMSes."
    })
  ) {}
