import { Effect } from "effect"
import type { CacheTarget, CacheVersions } from "../../domain/tenant/index.ts"
import { now, type RequestContext } from "./context.ts"
import { runTenantCommand } from "./runTenantCommand.ts"

/** Bumps the chosen cache version(s) by exactly one; concurrent calls each count. */
export const refreshCache = Effect.fn("refreshCache")(function* (
  context: RequestContext,
  tenantId: string,
  target: CacheTarget
) {
  const at = yield* now
  const handled = yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "BumpCacheVersions" as const, target, at })
  )
  const bumped = handled.decided.at(-1)
  return {
    versions: (bumped?._tag === "CacheVersionsBumped" ? bumped.versions : undefined) as CacheVersions,
    events: handled.events
  }
})
