import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { withExamples } from "./documented.ts"
import { AlreadyExists, Forbidden, NotFound, PlanLimit, ValidationFailed } from "./errors.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

const NullableString = Schema.NullOr(Schema.String)

/** What a request names a domain by: normalised and checked by the domain's rules (domain/customDomain/hostname.ts). */
export const HostnameField = Schema.String.pipe(
  Schema.check(Schema.isMinLength(1), Schema.isMaxLength(1024)),
  Schema.annotate({
    description:
      "A fully qualified hostname such as shop.example.com: any letter case, an optional trailing dot, Unicode labels " +
      "(stored as IDNA A-labels). At least two labels of 1–63 characters of a-z, 0-9 and inner hyphens, at most 253 " +
      "characters; not an IP address, a wildcard, localhost, the proxy base domain or a name under it, nor the API's own host.",
    examples: ["shop.example.com"]
  })
)

const RecordJson = Schema.Struct({ type: Schema.Literal("CNAME"), name: Schema.String, value: Schema.String })
const AddressesJson = Schema.Struct({
  type: Schema.Literals(["A", "AAAA"]),
  name: Schema.String,
  values: Schema.Array(Schema.String)
})

export const DomainRecordJson = Schema.Struct({
  id: Schema.String,
  hostname: Schema.String,
  status: Schema.Literals(["pending", "active", "misconfigured", "expired"]),
  reasons: Schema.Array(Schema.String),
  verification: Schema.Struct({
    ownership: Schema.Struct({ type: Schema.Literal("TXT"), name: Schema.String, value: Schema.String }),
    routing: Schema.Union([RecordJson, Schema.Array(Schema.Union([RecordJson, AddressesJson]))])
  }),
  createdAt: Schema.String,
  verifiedAt: NullableString,
  activatedAt: NullableString,
  lastCheckedAt: NullableString,
  nextCheckAt: NullableString
})

const CheckJson = Schema.Struct({
  ok: Schema.Boolean,
  expected: Schema.String,
  found: Schema.Array(Schema.String)
})

export const DomainBody = withExamples(Schema.Struct({ hostname: HostnameField }), [
  { hostname: "shop.example.com" }
])

const tenantPath = "/api/tenants/:slug"
const slugParams = { slug: SlugParam }

/** Custom domains of one tenant (seed: GET|POST|DELETE …/domains, POST …/domains/verify). */
export class DomainsGroup extends HttpApiGroup.make("domains")
  .add(
    HttpApiEndpoint.get("listDomains", `${tenantPath}/domains`, {
      params: slugParams,
      success: Schema.Struct({ domains: Schema.Array(DomainRecordJson) })
    }).annotate(
      OpenApi.Description,
      "The tenant's custom domains with their status and the DNS records to create."
    ),
    HttpApiEndpoint.post("addDomain", `${tenantPath}/domains`, {
      params: slugParams,
      payload: DomainBody,
      success: DomainRecordJson.pipe(HttpApiSchema.status(201)),
      error: [ValidationFailed, AlreadyExists, PlanLimit]
    }).annotate(
      OpenApi.Description,
      "Adds a custom domain, pending until a TXT record proves ownership; 409 already_exists when any live tenant holds it."
    ),
    HttpApiEndpoint.delete("removeDomain", `${tenantPath}/domains`, {
      params: slugParams,
      query: { hostname: Schema.optional(HostnameField) },
      success: Schema.Struct({ ok: Schema.Boolean }),
      error: [ValidationFailed, NotFound]
    }).annotate(
      OpenApi.Description,
      "Removes a custom domain, named by `{ hostname }` in a JSON body or by `?hostname=`; it stops being routed at once."
    ),
    HttpApiEndpoint.post("verifyDomain", `${tenantPath}/domains/verify`, {
      params: slugParams,
      payload: DomainBody,
      success: Schema.Struct({
        domain: DomainRecordJson,
        checks: Schema.Struct({ ownership: CheckJson, routing: CheckJson })
      }),
      error: [ValidationFailed, NotFound]
    }).annotate(
      OpenApi.Description,
      "Checks DNS now (ownership TXT, routing CNAME or A/AAAA) and answers the status with what DNS said; rate-limited per domain (429 with Retry-After)."
    )
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Custom domains") {}

/** Traefik's HTTP-provider dynamic configuration (tests/fixtures/traefik/ has the schema it is checked against). */
export const TraefikConfigJson = Schema.Struct({
  http: Schema.Struct({
    routers: Schema.Record(Schema.String, Schema.Unknown),
    services: Schema.Record(Schema.String, Schema.Unknown)
  })
})

/** Internal configuration exports: loopback clients or `Authorization: Bearer {INTERNAL_API_TOKEN}` only. */
export class ConfigGroup extends HttpApiGroup.make("config")
  .add(
    HttpApiEndpoint.get("traefikConfig", "/api/config/traefik", {
      success: TraefikConfigJson,
      error: Forbidden
    }).annotate(
      OpenApi.Description,
      "Traefik v3 HTTP-provider dynamic configuration: a router per live tenant's preview host and per active custom domain, all to the edge (EDGE_UPSTREAMS). Loopback clients or a bearer INTERNAL_API_TOKEN only (403 otherwise)."
    )
  )
  .annotate(OpenApi.Title, "Internal") {}
