import { Effect } from "effect"
import { edgeKey } from "../config.ts"
import { syncEdgeSnapshot } from "../edge/edgeConfigProjector.ts"
import { Kv } from "../ports/Kv.ts"

/**
 * Rewrites `proxy:{slug}` from current state and reads it back: an explicit edge
 * re-sync that appends nothing and bumps nothing.
 */
export const resyncEdgeConfig = Effect.fn("resyncEdgeConfig")(function* (slug: string) {
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
      publicOrigin: parsed === undefined ? null : ((parsed.publicOrigin as string | null | undefined) ?? null)
    }
  }
})
