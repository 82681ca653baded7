import { Schema } from "effect"
import { HttpsOrigin } from "./cms.ts"

/** An HTTP header name the edge sends the token in (`X-Api-Key`). */
export const ApiAuthHeaderName = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9-]{1,64}$/u)))
/** A query parameter name the edge sends the token in (`api_key`). */
export const ApiAuthQueryParam = Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9._-]{1,64}$/u)))

export const apiAuthModes = ["none", "bearer", "header", "query"] as const
export const ApiAuthMode = Schema.Literals(apiAuthModes)

/** A mode that needs a field names it: in JSON Schema an `if`/`then`, exactly the same rule. */
const fieldRequiredForMode = (
  mode: (typeof apiAuthModes)[number],
  field: "apiAuthHeaderName" | "apiAuthQueryParam"
) =>
  Schema.makeFilter(
    (config: {
      readonly apiAuthMode: (typeof apiAuthModes)[number]
      readonly apiAuthHeaderName?: string | undefined
      readonly apiAuthQueryParam?: string | undefined
    }) =>
      config.apiAuthMode !== mode ||
      config[field] !== undefined || { path: [field], issue: `is required when apiAuthMode is ${mode}` },
    {
      toJsonSchema: () => ({
        if: { properties: { apiAuthMode: { const: mode } }, required: ["apiAuthMode"] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then` keyword, never awaited
        then: { required: [field] }
      })
    }
  )

/** `header` needs `apiAuthHeaderName`, `query` needs `apiAuthQueryParam`. */
export const authFieldsForMode = [
  fieldRequiredForMode("header", "apiAuthHeaderName"),
  fieldRequiredForMode("query", "apiAuthQueryParam")
] as const

/**
 * How the edge proxies a tenant's API: where to, how the (separately stored) token
 * is presented, and how long answers are cached. The token itself never lives here.
 */
export const ApiConfig = Schema.Struct({
  apiOrigin: HttpsOrigin,
  apiAuthMode: ApiAuthMode,
  apiAuthHeaderName: Schema.optionalKey(ApiAuthHeaderName),
  apiAuthQueryParam: Schema.optionalKey(ApiAuthQueryParam),
  apiCacheTTL: Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 31_536_000 }))),
  cacheEnabled: Schema.Boolean,
  previewEnabled: Schema.Boolean
}).pipe(Schema.check(...authFieldsForMode))
export type ApiConfig = typeof ApiConfig.Type
