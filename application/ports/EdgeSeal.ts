import { Context, type Effect } from "effect"

/** Which token version a sealed value belongs to: a new save or rotation is a new version. */
export interface EdgeTokenVersion {
  readonly tenantId: string
  readonly slug: string
  readonly tokenUpdatedAt: string
}

/**
 * Seals a tenant's API token for its edges under EDGE_SEAL_KEY (AES-256-GCM, the slug as
 * associated data), the one way the token reaches `proxy:{slug}`: never in the clear. The
 * edge opens it (edge/seal.ts) only to inject it upstream.
 */
export class EdgeSeal extends Context.Service<
  EdgeSeal,
  {
    /**
     * The sealed token of this version, opening the stored one (`open`) only when this
     * version has not been sealed here before; `null` when no seal key is configured
     * (production without EDGE_SEAL_KEY), so the snapshot carries no token at all.
     */
    readonly sealToken: <E, R>(
      version: EdgeTokenVersion,
      open: Effect.Effect<string, E, R>
    ) => Effect.Effect<string | null, E, R>
  }
>()("tenantry/application/ports/EdgeSeal") {}
