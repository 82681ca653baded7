import { Effect, Semaphore } from "effect"
import { TenantId } from "../../domain/shared/ids.ts"
import { type CmsConfig, type Slug, tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { Config, edgeKey, proxyBase } from "../config.ts"
import { now, PlanLimitReached, SlugAlreadyUsed } from "../context.ts"
import { Ids } from "../ports/Ids.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { runCommand } from "../runCommand.ts"
import { userUseCase } from "../useCase.ts"

export interface CreateTenantInput {
  readonly slug: Slug
  readonly cms: CmsConfig
  readonly cacheTTL?: number | undefined
  readonly websiteDomain?: string | null | undefined
  readonly siteProxy?: boolean | undefined
}

export const defaultCacheTTL = 300

// One owner's creates run one at a time on this node, so the plan check and the append
// cannot interleave with another create of theirs. Across nodes the check can still
// race (documented in docs/architecture.md); slugs, by contrast, are exact everywhere.
const ownerLocks = new Map<string, { readonly lock: Semaphore.Semaphore; users: number }>()

const oneAtATimePerOwner = <A, E, R>(ownerId: string, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const entry = ownerLocks.get(ownerId) ?? { lock: Semaphore.makeUnsafe(1), users: 0 }
      entry.users++
      ownerLocks.set(ownerId, entry)
      return entry
    }),
    (entry) => entry.lock.withPermit(effect),
    (entry) =>
      Effect.sync(() => {
        if (--entry.users === 0) ownerLocks.delete(ownerId)
      })
  )

/**
 * Creates a tenant owned by the caller. The plan check reads the read model; the slug
 * is settled by the unique index in the append's own transaction, so two racing
 * creates of one slug cannot both win.
 */
export const createTenant = userUseCase("createTenant", (context, user, input: CreateTenantInput) =>
  oneAtATimePerOwner(
    user.userId,
    Effect.gen(function* () {
      const config = yield* Config
      const readModel = yield* TenantReadModel
      const ids = yield* Ids
      const plan = config.plans[config.defaultPlan] ?? { maxTenants: 0 }
      const owned = yield* readModel.countOwnedBy(user.userId)
      if (owned >= plan.maxTenants) {
        return yield* new PlanLimitReached({ plan: config.defaultPlan, maxTenants: plan.maxTenants })
      }
      if ((yield* readModel.bySlug(input.slug)) !== undefined)
        return yield* new SlugAlreadyUsed({ slug: input.slug })
      const tenantId = TenantId.make(yield* ids.make("tnt"))
      const at = yield* now
      yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, () =>
        Effect.succeed({
          _tag: "CreateTenant" as const,
          tenantId,
          slug: input.slug,
          cms: input.cms,
          cacheTTL: input.cacheTTL ?? defaultCacheTTL,
          websiteDomain: input.websiteDomain ?? null,
          siteProxy: input.siteProxy ?? false,
          ownerId: user.userId,
          at
        })
      ).pipe(
        Effect.catchTag("UniqueKeyTaken", () => Effect.fail(new SlugAlreadyUsed({ slug: input.slug }))),
        // A brand-new stream with a random id only meets itself: anything else is a bug.
        Effect.catchTags({
          TenantAlreadyExists: Effect.die,
          TenantNotFound: Effect.die,
          ConcurrencyConflict: Effect.die
        })
      )
      return {
        tenantId,
        slug: input.slug,
        key: edgeKey(input.slug),
        proxyBase: proxyBase(config, input.slug)
      }
    })
  )
)
