import { Effect } from "effect"
import { Config } from "../config.ts"
import { domainSettingsOf } from "../customDomains/checkDomain.ts"
import { CustomDomainReadModel } from "../ports/CustomDomainReadModel.ts"

/** The one service every router goes to: the edges. */
export const edgeServiceName = "tenantry-edge"

export interface TraefikRouter {
  readonly rule: string
  readonly service: string
  readonly priority?: number
  readonly tls?: { readonly certResolver: string }
}

export interface TraefikDynamicConfig {
  readonly http: {
    readonly routers: Readonly<Record<string, TraefikRouter>>
    readonly services: Readonly<
      Record<
        string,
        {
          readonly loadBalancer: {
            readonly servers: ReadonlyArray<{ readonly url: string }>
            readonly passHostHeader: boolean
          }
        }
      >
    >
  }
}

/**
 * Traefik v3's HTTP-provider dynamic configuration: one router per live tenant's preview
 * host (`tenant-{slug}`) and one per active custom domain (`domain-{hostname}`, its dots
 * as `_`: hostnames hold no `_`, so names never collide), each a `Host(\`…\`)` rule, all to
 * one service whose servers are the edges, the Host header passed on (the edge routes by
 * it). Custom-domain routers carry `tls.certResolver` when one is configured.
 */
export const buildTraefikConfig = (input: {
  readonly slugs: ReadonlyArray<string>
  readonly domains: ReadonlyArray<{ readonly hostname: string; readonly slug: string }>
  readonly proxyBaseDomain: string
  readonly upstreams: ReadonlyArray<string>
  readonly certResolver: string | undefined
}): TraefikDynamicConfig => {
  // Routers keyed by user-influenced names: built from entries, never by assignment on an object.
  const routers: Array<readonly [string, TraefikRouter]> = []
  for (const slug of input.slugs) {
    routers.push([
      `tenant-${slug}`,
      { rule: `Host(\`${slug}.${input.proxyBaseDomain}\`)`, service: edgeServiceName }
    ])
  }
  for (const domain of input.domains) {
    routers.push([
      `domain-${domain.hostname.replaceAll(".", "_")}`,
      {
        rule: `Host(\`${domain.hostname}\`)`,
        service: edgeServiceName,
        ...(input.certResolver === undefined ? {} : { tls: { certResolver: input.certResolver } })
      }
    ])
  }
  return {
    http: {
      routers: Object.fromEntries(routers),
      services: {
        [edgeServiceName]: {
          loadBalancer: { servers: input.upstreams.map((url) => ({ url })), passHostHeader: true }
        }
      }
    }
  }
}

/** The configuration as of now, from the read models. */
export const traefikConfig = Effect.gen(function* () {
  const config = yield* Config
  const settings = domainSettingsOf(config)
  const table = yield* (yield* CustomDomainReadModel).routingTable()
  return buildTraefikConfig({
    slugs: table.slugs,
    domains: table.domains,
    proxyBaseDomain: config.proxyBaseDomain,
    upstreams: settings.edgeUpstreams,
    certResolver: settings.traefikCertResolver
  })
})
