import { Schema } from "effect"

const token = (max: number) =>
  Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9._-]+$/), Schema.isMaxLength(max)))

/** An absolute https URL with no credentials, query or fragment: an origin we may proxy to. */
export const HttpsOrigin = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) => {
        if (value.length > 2048) return "must be at most 2048 characters"
        let url: URL
        try {
          url = new URL(value)
        } catch {
          return "must be an absolute https URL"
        }
        if (url.protocol !== "https:") return "must use https"
        if (url.username !== "" || url.password !== "") return "must not carry credentials"
        if (url.search !== "" || url.hash !== "") return "must not carry a query or fragment"
        return true
      },
      { expected: "an https URL such as https://api.example.com" }
    )
  )
)

/** Each provider's own fields sit beside `cms`, as clients send them. */
export const ContentfulConfig = Schema.Struct({
  cms: Schema.Literal("contentful"),
  spaceId: token(64),
  environment: Schema.optionalKey(token(64))
})
export const PrismicConfig = Schema.Struct({ cms: Schema.Literal("prismic"), repository: token(63) })
export const StoryblokConfig = Schema.Struct({
  cms: Schema.Literal("storyblok"),
  spaceId: Schema.optionalKey(token(32)),
  region: Schema.optionalKey(Schema.Literals(["eu", "us", "ap", "ca", "cn"]))
})
export const WebflowConfig = Schema.Struct({
  cms: Schema.Literal("webflow"),
  siteId: Schema.optionalKey(token(64))
})
export const SanityConfig = Schema.Struct({
  cms: Schema.Literal("sanity"),
  projectId: token(64),
  dataset: Schema.optionalKey(token(64))
})
export const GenericConfig = Schema.Struct({ cms: Schema.Literal("generic"), apiOrigin: HttpsOrigin })

export const CmsConfig = Schema.Union([
  ContentfulConfig,
  PrismicConfig,
  StoryblokConfig,
  WebflowConfig,
  SanityConfig,
  GenericConfig
])
export type CmsConfig = typeof CmsConfig.Type

export const cmsProviders = ["contentful", "prismic", "storyblok", "webflow", "sanity", "generic"] as const
export type CmsProvider = (typeof cmsProviders)[number]

/** Every provider-specific field name, so a flat request body can be split into `cms` and the rest. */
export const cmsFieldNames = [
  "spaceId",
  "environment",
  "repository",
  "region",
  "siteId",
  "projectId",
  "dataset",
  "apiOrigin"
] as const
