import { Schema } from "effect"
import { HttpsOrigin } from "./cms.ts"

const headerName = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9-]{1,64}$/)))
const paramName = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9._-]{1,64}$/)))

export const apiAuthModes = ["none", "bearer", "header", "query"] as const
export const ApiAuthMode = Schema.Literals(apiAuthModes)

/**
 * How the edge proxies a tenant's API: where to, how the (separately stored) token
 * is presented, and how long answers are cached. The token itself never lives here.
 */
export const ApiConfig = Schema.Struct({
  apiOrigin: HttpsOrigin,
  apiAuthMode: ApiAuthMode,
  apiAuthHeaderName: Schema.optionalKey(headerName),
  apiAuthQueryParam: Schema.optionalKey(paramName),
  apiCacheTTL: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 31_536_000 }))),
  cacheEnabled: Schema.Boolean,
  previewEnabled: Schema.Boolean
}).pipe(
  Schema.check(
    Schema.makeFilter((config) =>
      config.apiAuthMode === "header" && config.apiAuthHeaderName === undefined
        ? { path: ["apiAuthHeaderName"], issue: "is required when apiAuthMode is header" }
        : config.apiAuthMode === "query" && config.apiAuthQueryParam === undefined
          ? { path: ["apiAuthQueryParam"], issue: "is required when apiAuthMode is query" }
          : true
    )
  )
)
export type ApiConfig = typeof ApiConfig.Type
