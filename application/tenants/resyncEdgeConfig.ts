import { Effect } from "effect"
import { edgeKey } from "../config.ts"
import { syncEdgeSnapshot } from "../edge/edgeConfigProjector.ts"
import { Kv } from "../ports/Kv.ts"
import { tenantUseCase } from "../useCase.ts"

/**
 * Rewrites `proxy:{slug}` from current state and reads it back: an explicit edge
 * re-sync that appends nothing and bumps nothing.
 */
export const resyncEdgeConfig = tenantUseCase("resyncEdgeConfig", "editor", (_context, access) =>
  Effect.gen(function* () {
    const slug = access.tenant.slug
    const kv = yield* Kv
    const written = yield* syncEdgeSnapshot(slug)
    const readBack = yield* kv.get(edgeKey(slug))
    const parsed = readBack === undefined ? undefined : (JSON.parse(readBack) as { publicOrigin?: unknown })
    return {
      summary:
        written === undefined
          ? null
          : {
              publicOrigin: written.publicOrigin,
              proxyBase: written.proxyBase,
              gate: written.gate,
              cache: written.cache,
              apiAuthMode: written.api?.authMode ?? null,
              hasApiToken: written.api?.hasApiToken ?? false,
              customDomains: written.customDomains
            },
      kv: {
        exists: parsed !== undefined,
        publicOrigin:
          parsed === undefined ? null : ((parsed.publicOrigin as string | null | undefined) ?? null)
      }
    }
  })
)
