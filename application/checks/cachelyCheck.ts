import { Effect } from "effect"
import { Config } from "../config.ts"
import { CustomDomainReadModel } from "../ports/CustomDomainReadModel.ts"
import { EdgeProof } from "../ports/EdgeProof.ts"
import { Ids } from "../ports/Ids.ts"
import { type OutboundError, OutboundFetch } from "../ports/OutboundFetch.ts"
import { tenantUseCase } from "../useCase.ts"
import {
  chooseSurface,
  isEdgeHeader,
  judge,
  otherCdnHeaders,
  type ProbeReading,
  type ProofState,
  type Surface,
  type TenantFacts
} from "./cachelyVerdict.ts"
import { chargeCheck } from "./chargeCheck.ts"

/**
 * `POST …/cachely-check` (viewer+, read-only, appends nothing): probes the tenant's website
 * surface twice, with plain sequential GETs through the outbound fetcher, each carrying a
 * random nonce the edge must sign, and judges what came back against the stored
 * configuration (cachelyVerdict.ts).
 */

const probesPerCheck = 2

const describeError = (error: OutboundError): string => {
  switch (error._tag) {
    case "OutboundRefused":
      return `refused (${error.rule}): ${error.message}`
    case "OutboundTimeout":
      return `no answer within ${error.afterMs} ms`
    case "OutboundTooLarge":
      return `the answer was larger than ${error.maxBytes} bytes`
    case "OutboundFailed":
      return error.message
  }
}

/** One probe of the surface: its nonce sent, its answer's edge headers and proof read. */
const probe = (surface: Surface) =>
  Effect.gen(function* () {
    const outbound = yield* OutboundFetch
    const proofs = yield* EdgeProof
    const ids = yield* Ids
    const nonce = yield* ids.make("nonce")
    const url = `https://${surface.host}/`
    const started = performance.now()
    return yield* outbound
      .get({ url, followRedirects: false, body: "discard", headers: { "x-cachely-nonce": nonce } })
      .pipe(
        Effect.map((response): ProbeReading => {
          const headers = new Map<string, string>()
          for (const [name, value] of response.headers) {
            if ((isEdgeHeader(name) || name === "cache-status") && !headers.has(name))
              headers.set(name, value)
          }
          const given = headers.get("x-cachely-proof")
          const verified = given === undefined ? undefined : proofs.verify(nonce, surface.host, given)
          const proof: ProofState =
            given === undefined
              ? "missing"
              : verified === undefined
                ? "unverifiable"
                : verified
                  ? "valid"
                  : "invalid"
          const names = new Set(response.headers.map(([name]) => name))
          return {
            probe: {
              url,
              status: response.status,
              durationMs: response.durationMs,
              headers: Object.fromEntries(headers),
              error: null
            },
            proof,
            otherCdn: otherCdnHeaders.filter(([header]) => names.has(header)).map(([, name]) => name)
          }
        }),
        Effect.catch((error: OutboundError) =>
          Effect.succeed<ProbeReading>({
            probe: {
              url,
              status: null,
              durationMs: Math.round(performance.now() - started),
              headers: {},
              error: describeError(error)
            },
            proof: "missing",
            otherCdn: []
          })
        )
      )
  })

export const cachelyCheck = tenantUseCase("cachelyCheck", "viewer", (_context, access) =>
  Effect.gen(function* () {
    yield* chargeCheck(access.tenant.tenantId)
    const config = yield* Config
    const rows = yield* (yield* CustomDomainReadModel).listForTenant(access.tenant.tenantId)
    const domains = rows
      .filter((row) => row.status !== "released")
      .map((row) => ({ hostname: row.hostname, status: row.status, activatedAt: row.activatedAt }))
    const view = access.tenant
    const tenant: TenantFacts = {
      slug: view.slug,
      proxyHost: `${view.slug}.${config.proxyBaseDomain}`,
      siteProxy: view.siteProxy,
      htmlCacheVersion: view.versions.htmlCacheVersion,
      apiConfig: view.apiConfig,
      hasApiToken: view.hasApiToken,
      domains
    }
    const surface = chooseSurface(tenant)
    const readings: Array<ProbeReading> = []
    if (surface !== undefined) {
      // Sequential: the second probe is the one a warm cache answers.
      for (let i = 0; i < probesPerCheck; i++) readings.push(yield* probe(surface))
    }
    return judge(tenant, surface, readings)
  })
)
