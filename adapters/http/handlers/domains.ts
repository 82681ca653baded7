import { createHash, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import {
  addCustomDomain,
  listCustomDomains,
  removeCustomDomain,
  verifyCustomDomain
} from "../../../application/customDomains/customDomains.ts"
import { traefikConfig } from "../../../application/edge/traefikConfig.ts"
import { Api } from "../api/Api.ts"
import { Forbidden, ValidationFailed } from "../api/errors.ts"
import { clientAddress } from "../clientAddress.ts"
import { respond } from "../errorMap.ts"
import { HttpSettings } from "../httpSettings.ts"
import { rawHeader } from "../rawHeaders.ts"
import { requestContext } from "./requestContext.ts"

/** The hostname a DELETE names: `{ hostname }` in a JSON body, else `?hostname=`. */
const hostnameToRemove = (body: string, query: string | undefined) =>
  Effect.gen(function* () {
    if (body.trim() !== "") {
      let parsed: unknown
      try {
        parsed = JSON.parse(body)
      } catch {
        return yield* new ValidationFailed({
          message: "The body is not JSON",
          errors: { body: ["must be JSON"] }
        })
      }
      const hostname =
        typeof parsed === "object" &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        Object.hasOwn(parsed, "hostname")
          ? (parsed as { hostname: unknown }).hostname
          : undefined
      if (typeof hostname === "string") return hostname
      if (hostname !== undefined || query === undefined)
        return yield* new ValidationFailed({
          message: "Name the domain to remove",
          errors: { hostname: ["must be a hostname such as shop.example.com"] }
        })
    }
    if (query === undefined)
      return yield* new ValidationFailed({
        message: "Name the domain to remove",
        errors: { hostname: ["is required, in the body or as ?hostname="] }
      })
    return query
  })

export const DomainsHandlers = HttpApiBuilder.group(Api, "domains", (handlers) =>
  handlers
    .handle("listDomains", ({ params }) =>
      Effect.flatMap(requestContext, (context) => listCustomDomains(context, params.slug)).pipe(respond)
    )
    .handle("addDomain", ({ params, payload }) =>
      Effect.flatMap(requestContext, (context) => addCustomDomain(context, params.slug, payload)).pipe(
        respond
      )
    )
    .handleRaw("removeDomain", ({ params, query, request }) =>
      Effect.gen(function* () {
        const body = yield* Effect.orDie(request.text)
        const hostname = yield* hostnameToRemove(body, query.hostname)
        const context = yield* requestContext
        return yield* removeCustomDomain(context, params.slug, { hostname }).pipe(respond)
      })
    )
    .handle("verifyDomain", ({ params, payload }) =>
      Effect.flatMap(requestContext, (context) => verifyCustomDomain(context, params.slug, payload)).pipe(
        respond
      )
    )
)

/** Both sides as SHA-256 digests: equal lengths, so the comparison's time says nothing. */
const digest = (value: string) => createHash("sha256").update(value).digest()

const isLoopback = (address: string) =>
  address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address) || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(address)

/**
 * The Traefik export: loopback clients (the socket's peer, or with TRUST_PROXY the client
 * the proxies name), or `Authorization: Bearer {INTERNAL_API_TOKEN}` compared in constant time.
 */
export const ConfigHandlers = HttpApiBuilder.group(Api, "config", (handlers) =>
  handlers.handleRaw("traefikConfig", ({ request }) =>
    Effect.gen(function* () {
      const settings = yield* HttpSettings
      const authorization = rawHeader(request, "authorization")
      const bearer = authorization?.startsWith("Bearer ") === true ? authorization.slice(7).trim() : undefined
      const token = settings.internalApiToken
      const byToken =
        token !== undefined && bearer !== undefined && timingSafeEqual(digest(bearer), digest(token))
      if (!byToken && !isLoopback(clientAddress(request, settings.trustProxy)))
        return yield* new Forbidden({
          message: "Only loopback clients or a bearer INTERNAL_API_TOKEN may read the routing configuration"
        })
      return HttpServerResponse.jsonUnsafe(yield* traefikConfig)
    })
  )
)
