import { Effect } from "effect"
import { Config } from "../config.ts"
import { type OutboundError, OutboundFetch, type OutboundResponse } from "../ports/OutboundFetch.ts"
import { PageReader } from "../ports/PageReader.ts"
import { tenantUseCase } from "../useCase.ts"
import { chargeCheck } from "./chargeCheck.ts"
import { detectPlatform, type Platform } from "./platform.ts"
import { analyseWebsite, type WebsiteAnalysis } from "./websiteAnalysis.ts"

/**
 * `POST …/website-implementation-check` (viewer+, read-only): fetches the customer's public
 * website through the outbound fetcher, detects its platform and reads whether its code goes
 * through Cachely or calls the CMS directly. Every problem with the URL or the fetch is an
 * answer (`ok: false` with a code), not an error; only the rate limit refuses.
 */

export const websiteCheckErrors = [
  "invalid_url",
  "product_domain",
  "blocked_address",
  "timeout",
  "fetch_failed",
  "http_error",
  "not_html",
  "too_large"
] as const
export type WebsiteCheckError = (typeof websiteCheckErrors)[number]

export type WebsiteCheckResult =
  | {
      readonly ok: true
      readonly finalUrl: string
      readonly platform: Platform
      readonly analysis: WebsiteAnalysis
    }
  | {
      readonly ok: false
      readonly finalUrl: string | null
      readonly error: WebsiteCheckError
      readonly message: string
    }

const maxUrlLength = 2048

const problem = (finalUrl: string | null, error: WebsiteCheckError, message: string): WebsiteCheckResult => ({
  ok: false,
  finalUrl,
  error,
  message
})

/** The URL as a person types it (`acme.com` reads as `https://acme.com/`), or why it is not one. */
export const normaliseWebsiteUrl = (raw: string): { readonly url: URL } | { readonly message: string } => {
  const trimmed = raw.trim()
  if (trimmed === "")
    return { message: "Give the address of your public website, e.g. https://www.example.com" }
  if (trimmed.length > maxUrlLength)
    return { message: `The address is longer than ${maxUrlLength} characters` }
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed)
    ? trimmed
    : `https://${trimmed.replace(/^\/\//, "")}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    return { message: `"${trimmed}" is not a web address` }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { message: `Only http and https addresses can be checked, not ${url.protocol}` }
  }
  if (url.username !== "" || url.password !== "") {
    return { message: "The address must not carry a user name or password" }
  }
  if (url.hostname === "") return { message: `"${trimmed}" names no host` }
  return { url }
}

/** Hosts that are ours rather than the customer's: anything under PROXY_BASE_DOMAIN, and the control plane's name. */
const isProductHost = (host: string, proxyBaseDomain: string, publicBaseUrl: string) => {
  const name = host.toLowerCase().replace(/\.$/, "")
  const base = proxyBaseDomain.toLowerCase()
  let own: string | undefined
  try {
    own = new URL(publicBaseUrl).hostname.toLowerCase()
  } catch {
    own = undefined
  }
  // The control plane's own name (an address is left to the outbound rules).
  const ownName = own !== undefined && !/^[\d.]+$|^\[/.test(own) ? own : undefined
  return name === base || name.endsWith(`.${base}`) || name === ownName
}

const addressRules = new Set(["invalid_url", "scheme", "credentials"])

/** What a fetch failure tells the person who asked. */
export const fetchProblem = (error: OutboundError): WebsiteCheckResult => {
  switch (error._tag) {
    case "OutboundRefused": {
      if (error.hop === 0 && addressRules.has(error.rule)) {
        return problem(error.url, "invalid_url", `The address cannot be fetched: ${error.message}`)
      }
      if (error.rule === "too_many_redirects") {
        return problem(
          error.url,
          "fetch_failed",
          "The site redirected more than 5 times; the check stopped there"
        )
      }
      if (addressRules.has(error.rule)) {
        return problem(
          error.url,
          "fetch_failed",
          `The site redirected to ${error.url}, which cannot be fetched: ${error.message}`
        )
      }
      const where = error.hop === 0 ? error.url : `${error.url} (redirect ${error.hop})`
      return problem(
        error.url,
        "blocked_address",
        `${where} is not on the public internet (${error.rule}: ${error.message}); only public websites can be checked`
      )
    }
    case "OutboundTimeout":
      return problem(
        error.url,
        "timeout",
        `The site did not answer within ${Math.round(error.afterMs / 1000)} seconds`
      )
    case "OutboundTooLarge":
      return problem(
        error.url,
        "too_large",
        `The page is larger than ${Math.round(error.maxBytes / 1024 / 1024)} MiB; the check reads pages up to that size`
      )
    case "OutboundFailed":
      return problem(error.url, "fetch_failed", `The site could not be fetched: ${error.message}`)
  }
}

const headerValues = (response: OutboundResponse, name: string) =>
  response.headers.filter(([key]) => key === name).map(([, value]) => value)

export const websiteImplementationCheck = tenantUseCase(
  "websiteImplementationCheck",
  "viewer",
  (_context, access, input: { readonly url: string }) =>
    Effect.gen(function* () {
      yield* chargeCheck(access.tenant.tenantId)
      const config = yield* Config
      const normalised = normaliseWebsiteUrl(input.url)
      if ("message" in normalised) return problem(null, "invalid_url", normalised.message)
      const { url } = normalised
      if (isProductHost(url.hostname, config.proxyBaseDomain, config.publicBaseUrl)) {
        return problem(
          url.href,
          "product_domain",
          `${url.hostname} is a Cachely address, not your website; give your site's own public address (the cachely-check covers the proxy)`
        )
      }
      const outbound = yield* OutboundFetch
      const fetched = yield* outbound.get({ url: url.href, body: "html" }).pipe(
        Effect.map((response) => ({ response }) as const),
        Effect.catch((error: OutboundError) => Effect.succeed({ failed: fetchProblem(error) } as const))
      )
      if ("failed" in fetched) return fetched.failed
      const { response } = fetched
      if (response.status >= 300) {
        return problem(response.url, "http_error", `The site answered HTTP ${response.status}`)
      }
      if (response.html === null) {
        return problem(
          response.url,
          "not_html",
          `The site answered ${response.mediaType ?? "without a content type"}, not an HTML page`
        )
      }
      const reader = yield* PageReader
      const facts = reader.read({
        html: response.html,
        linkHeaders: headerValues(response, "link"),
        cspHeaders: headerValues(response, "content-security-policy")
      })
      const platform = detectPlatform({ facts, baseUrl: response.url, headers: response.headers })
      const analysis = analyseWebsite({
        facts,
        baseUrl: response.url,
        proxyHost: `${access.tenant.slug}.${config.proxyBaseDomain}`,
        cms: access.tenant.cms
      })
      return { ok: true, finalUrl: response.url, platform, analysis } satisfies WebsiteCheckResult
    })
)
