import { Schema } from "effect"
import { hasAtMostCodePoints } from "../shared/text.ts"

/** A provider's id or name: letters, digits, `.`, `_` and `-`, at most `max` of them. */
const token = (max: number) =>
  Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9._-]+$/u), Schema.isMaxLength(max)))

const originMaxLength = 2048

/** What is wrong with an origin we may proxy to, or undefined when nothing is. */
const originProblem = (value: string): string | undefined => {
  if (!hasAtMostCodePoints(value, originMaxLength)) return `must be at most ${originMaxLength} characters`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return "must be an absolute https URL"
  }
  if (url.protocol !== "https:") return "must use https"
  if (url.username !== "" || url.password !== "") return "must not carry credentials"
  if (url.search !== "" || url.hash !== "") return "must not carry a query or fragment"
  return undefined
}

const originExpected = "an https URL such as https://api.example.com"
const originDescription =
  "An absolute https URL such as https://api.example.com: https://, a host name (ASCII, an internationalised one in its xn-- form) or [IPv6 address], an optional port, an optional path; no credentials, query, fragment or spaces; at most 2048 characters. The server also refuses a host or port a URL parser does not accept (an all-numeric host that is no IPv4 address, a port over 65535)."

/**
 * An absolute https URL with no credentials, query or fragment: an origin we may proxy to, as
 * stored. What a URL parser makes of the string is the rule, which JSON Schema cannot state:
 * the document says less than the check (`[…, true]` marks a looser approximation).
 */
export const HttpsOrigin = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter((value: string) => originProblem(value) ?? true, {
      expected: originExpected,
      toJsonSchema: () => [{ maxLength: originMaxLength }, true]
    })
  )
)

/**
 * How a new origin must be written: `https://`, a host name of ASCII letters, digits, `-`, `_`
 * and dots (an internationalised name in its `xn--` form) or an `[IPv6]` address, an optional
 * port, then an optional path, with no spaces, query or fragment. A URL parser forgives more
 * (surrounding spaces, `HTTPS:`, `https:host`, an empty `?`, `%`-escapes in the host), and
 * origins stored before this rule may be spelled so, which is why `HttpsOrigin` (what stored
 * events decode with) does not carry it.
 */
const httpsOriginSpelling =
  /^https:\/\/(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:\/[^\s?#]*)?$/u

/**
 * An origin in a request: `HttpsOrigin`'s rule, then its spelling. `/openapi.json` states the
 * pattern and the length; the server is stricter only where the host or port does not parse,
 * as the description says.
 */
export const HttpsOriginInput = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) =>
        originProblem(value) ??
        (httpsOriginSpelling.test(value) ||
          "must be spelled https://host[:port][/path], with an ASCII host and no spaces, query or fragment"),
      {
        expected: originExpected,
        toJsonSchema: () => [{ pattern: httpsOriginSpelling.source, maxLength: originMaxLength }, true]
      }
    )
  ),
  Schema.annotate({ description: originDescription, examples: ["https://api.example.com"] })
)

const storyblokRegions = ["eu", "us", "ap", "ca", "cn"] as const

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
  region: Schema.optionalKey(Schema.Literals(storyblokRegions))
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
/** The generic provider as a request names it: a new origin must be spelled plainly. */
export const GenericConfigInput = Schema.Struct({ ...GenericConfig.fields, apiOrigin: HttpsOriginInput })

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

/**
 * Each provider field in a partial update, where `cms` may not be named: the widest rule any
 * provider gives that field. The merged configuration is then checked against its provider's
 * own (`spaceId` is at most 32 characters for storyblok), so the server may refuse what this
 * allows, never the other way round.
 */
export const cmsFieldInputs = {
  spaceId: token(64).annotate({
    description: "contentful: at most 64 characters; storyblok: at most 32."
  }),
  environment: token(64),
  repository: token(63),
  region: Schema.Literals(storyblokRegions),
  siteId: token(64),
  projectId: token(64),
  dataset: token(64),
  apiOrigin: HttpsOriginInput
} satisfies Record<(typeof cmsFieldNames)[number], Schema.Top>
