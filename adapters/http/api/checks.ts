import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { platformIds } from "../../../application/checks/platform.ts"
import { websiteCheckErrors } from "../../../application/checks/websiteImplementationCheck.ts"
import { withExamples } from "./documented.ts"
import { TooManyRequestsWithRetryAfter, ValidationFailed } from "./errors.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

const tenantPath = "/api/tenants/:slug"
const slugParams = { slug: SlugParam }

const CheckItem = Schema.Struct({
  id: Schema.String.annotate({
    description:
      "website_surface, edge_headers, edge_proof, cache, version, http_status, other_cdn (only when seen), custom_domain, api_proxy"
  }),
  label: Schema.String,
  state: Schema.Literals(["pass", "warn", "fail", "info"]),
  detail: Schema.String
})

const Probe = Schema.Struct({
  url: Schema.String,
  status: Schema.NullOr(Schema.Int),
  durationMs: Schema.Number,
  headers: Schema.Record(Schema.String, Schema.String).annotate({
    description: "The x-cachely-* and Cache-Status headers the answer carried"
  }),
  error: Schema.NullOr(Schema.String)
})

export const CachelyCheckResponse = Schema.Struct({
  state: Schema.Literals(["implemented", "active_needs_attention", "not_detected", "not_enabled"]),
  headline: Schema.String,
  probeUrl: Schema.NullOr(Schema.String),
  surfaceLabel: Schema.NullOr(Schema.Literals(["production", "preview"])),
  items: Schema.Array(CheckItem),
  probes: Schema.Array(Probe)
})

const Signal = Schema.Struct({ url: Schema.String, context: Schema.String, snippet: Schema.String })

export const WebsiteCheckBody = withExamples(
  Schema.Struct({
    url: Schema.String.annotate({
      description:
        "The public website's address (https:// is assumed when no scheme is given); not a Cachely address. At most 2048 characters, else an ok:false invalid_url answer."
    })
  }),
  [{ url: "https://www.example.com" }]
)

export const WebsiteCheckResponse = Schema.Union([
  Schema.Struct({
    ok: Schema.Literal(true),
    finalUrl: Schema.String,
    platform: Schema.Struct({
      id: Schema.Literals(platformIds),
      label: Schema.String,
      evidence: Schema.Array(Schema.String)
    }),
    analysis: Schema.Struct({
      cachelyUsage: Schema.Literals(["detected", "not_detected", "inconclusive"]),
      cachelySignals: Schema.Array(Signal),
      directCmsUsage: Schema.Literals(["detected", "potential", "not_detected"]),
      directCmsSignals: Schema.Array(Signal),
      cmsLabel: Schema.NullOr(Schema.String),
      verdictState: Schema.Literals(["implemented", "mixed", "not_using", "inconclusive"]),
      verdict: Schema.String
    })
  }),
  Schema.Struct({
    ok: Schema.Literal(false),
    finalUrl: Schema.NullOr(Schema.String),
    error: Schema.Literals(websiteCheckErrors),
    message: Schema.String
  })
])

/** The checks that fetch from outside (through the one outbound fetcher), rate-limited per tenant. */
export class ChecksGroup extends HttpApiGroup.make("checks")
  .add(
    HttpApiEndpoint.post("cachelyCheck", `${tenantPath}/cachely-check`, {
      params: slugParams,
      success: CachelyCheckResponse,
      error: TooManyRequestsWithRetryAfter
    }).annotate(
      OpenApi.Description,
      "Probes the website surface (active custom domain, else the preview host) twice and judges the edge's headers and proof against the stored configuration. Read-only."
    ),
    HttpApiEndpoint.post("websiteImplementationCheck", `${tenantPath}/website-implementation-check`, {
      params: slugParams,
      payload: WebsiteCheckBody,
      success: WebsiteCheckResponse,
      error: [ValidationFailed, TooManyRequestsWithRetryAfter]
    }).annotate(
      OpenApi.Description,
      "Fetches the public website (SSRF-guarded), detects its platform and whether its code goes through Cachely or calls the CMS directly. Fetch problems are ok:false answers. Read-only."
    )
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Checks") {}
