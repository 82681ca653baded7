import { Effect } from "effect"
import {
  type CacheTarget,
  type CacheVersions,
  cacheVersionsStream
} from "../../domain/cacheVersions/index.ts"
import { cacheVersionsAggregate } from "../aggregates.ts"
import { now } from "../context.ts"
import { readTenant, runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"

/** Bumps the chosen cache version(s) by exactly one; concurrent calls each count. */
export const refreshCache = tenantUseCase("refreshCache", "editor", (context, access, target: CacheTarget) =>
  Effect.gen(function* () {
    const { tenantId } = access.tenant
    const at = yield* now
    const handled = yield* runCommand(
      cacheVersionsAggregate,
      { streamId: cacheVersionsStream(tenantId), tenantId },
      context,
      (_state, read) =>
        Effect.map(readTenant(read, tenantId), (tenant) => ({
          _tag: "BumpCacheVersions" as const,
          target,
          tenantLive: tenant.status === "active",
          at
        }))
    )
    return { versions: handled.state.versions as CacheVersions, events: handled.events }
  })
)
