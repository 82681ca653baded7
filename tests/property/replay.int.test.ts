import { expect, layer } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { membershipsProjection } from "../../adapters/sql/projections/memberships.ts"
import { tenantsProjection } from "../../adapters/sql/projections/tenants.ts"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import { decodeTenantEvent, decodeTenantEventStrict } from "../../application/events/tenantCodec.ts"
import { loadAggregate } from "../../application/handleCommand.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { evolveTenantView, type TenantView } from "../../application/projections/tenantView.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import {
  type TenantCommand,
  TenantConfigChanges,
  type TenantState,
  tenantDecider,
  tenantStateVersion,
  tenantStream
} from "../../domain/tenant/index.ts"
import {
  createTenantArb,
  instantAt,
  stepMillisArb,
  type Untimed,
  untimedCommandArb,
  withInstant
} from "../support/arbitraries.ts"
import { databaseTargets } from "../support/databases.ts"
import {
  assertProperty,
  handlerLayer,
  handleTenantCommand,
  tenantAggregateWith,
  uniqueTag,
  uniqueTenantId
} from "../support/tenantHarness.ts"

/**
 * Replay determinism on every database target: whatever the real CommandHandler did,
 * the log alone reproduces it, with or without snapshots, and the inline read models
 * rebuilt from the log are the ones maintained on the way.
 */

const tenantCount = 3
/** A small pool, so tenants of one run compete for slugs (live slugs are unique). */
const slugPool = ["alpha", "beta", "gamma"] as const
const poolSlugArb = fc.constantFrom(...slugPool).map((slug) => slug as Slug)

interface Step {
  readonly tenant: number
  readonly command: Untimed<TenantCommand>
  readonly step: number
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  tenant: fc.nat(tenantCount - 1),
  command: untimedCommandArb(createTenantArb(undefined, poolSlugArb)),
  step: stepMillisArb
})

const scenarioArb = fc.record({
  snapshotEvery: fc.constantFrom(1, 2, 3, 1_000_000),
  creates: fc.array(
    fc.record({
      tenant: fc.nat(tenantCount - 1),
      command: createTenantArb(undefined, poolSlugArb),
      step: stepMillisArb
    }),
    { minLength: 2, maxLength: tenantCount + 1 }
  ),
  steps: fc.array(stepArb, { minLength: 5, maxLength: 40, size: "max" })
})
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never

const outcomeOf = (result: Result.Result<unknown, { readonly _tag: string }>) =>
  Result.isSuccess(result) ? "ok" : result.failure._tag

const runScenario = (scenario: Scenario) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const sql = yield* SqlClient.SqlClient
    const run = uniqueTag()
    const tenantIds = Array.from({ length: tenantCount }, () => uniqueTenantId())
    const aggregate = tenantAggregateWith({ snapshotEvery: scenario.snapshotEvery })
    // What the handler said each tenant is, after its last command.
    const handled: Array<TenantState> = tenantIds.map(() => tenantDecider.initialState)
    let clock = 0

    for (const { tenant, command, step } of [...scenario.creates, ...scenario.steps]) {
      clock += step
      const tenantId = tenantIds[tenant]!
      const untimed: Untimed<TenantCommand> =
        command._tag === "CreateTenant"
          ? { ...command, tenantId, slug: `${command.slug}-${run}` as Slug }
          : command
      const timed = withInstant(untimed, instantAt(clock))
      // What the pure decider says, plus the one rule it cannot see: a live slug held by another tenant.
      const decided = tenantDecider.decide(timed, handled[tenant]!)
      const slugHeldElsewhere =
        timed._tag === "CreateTenant" &&
        handled.some((state, i) => i !== tenant && state.status === "active" && state.slug === timed.slug)
      const expected = Result.isFailure(decided)
        ? decided.failure._tag
        : timed._tag === "CreateTenant" && slugHeldElsewhere
          ? "UniqueKeyTaken"
          : "ok"

      const result = yield* Effect.result(handleTenantCommand(tenantId, timed, aggregate))
      expect(outcomeOf(result), `${timed._tag} on tenant ${tenant}`).toBe(expected)
      if (Result.isSuccess(result)) {
        expect(result.success.state).toEqual(fold(tenantDecider, result.success.decided, handled[tenant]!))
        handled[tenant] = result.success.state
      }
    }

    for (const [i, tenantId] of tenantIds.entries()) {
      const streamId = tenantStream(tenantId)
      const stored = yield* store.readStream(streamId)
      expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, n) => n + 1))
      // (a) The log folded from scratch is what the handler produced; every stored event is strictly valid.
      const fromScratch = fold(tenantDecider, stored.map(decodeTenantEventStrict))
      expect(fromScratch).toEqual(handled[i])
      // (b) With the snapshot the handler kept, or ignoring it, loading gives the same state.
      const withSnapshots = yield* loadAggregate(aggregate, streamId)
      const withoutSnapshots = yield* loadAggregate(
        tenantAggregateWith({ stateVersion: tenantStateVersion + 1_000, snapshotEvery: 1_000_000 }),
        streamId
      )
      expect(withSnapshots.state).toEqual(fromScratch)
      expect(withoutSnapshots.state).toEqual(fromScratch)
      expect(withSnapshots.version).toBe(stored.length)
      expect(withoutSnapshots.version).toBe(stored.length)
      expect(withoutSnapshots.snapshotVersion).toBe(0)
      if (stored.length >= scenario.snapshotEvery) expect(withSnapshots.snapshotVersion).toBeGreaterThan(0)

      // The live read models agree with the log for this tenant.
      const view = stored.map(decodeTenantEvent).reduce<TenantView | null>(evolveTenantView, null)
      const rows = yield* sql<{
        slug: string
        view: unknown
      }>`SELECT slug, view FROM tenants WHERE tenant_id = ${tenantId}`
      const members = yield* sql<{ user_id: string; role: string }>`
        SELECT user_id, role FROM tenant_members WHERE tenant_id = ${tenantId}`
      const state = handled[i]!
      if (state.status === "active") {
        expect(rows).toHaveLength(1)
        expect(rows[0]!.slug).toBe(state.slug)
        expect(JSON.parse(JSON.stringify(rows[0]!.view))).toEqual(JSON.parse(JSON.stringify(view)))
        expect(members.map((m) => [m.user_id, m.role])).toEqual(Object.entries(state.members))
      } else {
        expect(view).toBeNull()
        expect(rows).toEqual([])
        expect(members).toEqual([])
      }
    }
  })

/** Every row of both inline read models, in a stable order. */
const readModels = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tenants =
    yield* sql`SELECT tenant_id, slug, view, position::text AS position FROM tenants ORDER BY tenant_id`
  const members = yield* sql`SELECT tenant_id, user_id, role FROM tenant_members ORDER BY tenant_id, user_id`
  return { tenants, members }
})

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 120_000 })(
    `Replay determinism: ${target.name}`,
    (it) => {
      it.effect(
        "given arbitrary valid command sequences over a few tenants, when the log is folded from scratch, loaded with snapshots or without, then each gives the state the handler produced",
        () =>
          assertProperty(
            scenarioArb,
            (scenario) =>
              Effect.gen(function* () {
                yield* runScenario(scenario)
                // (c) Rebuilt from the log, both inline read models are exactly what was maintained on the way.
                const incremental = yield* readModels
                yield* rebuildInlineProjection(tenantsProjection)
                yield* rebuildInlineProjection(membershipsProjection)
                const rebuilt = yield* readModels
                expect(rebuilt.tenants).toEqual(incremental.tenants)
                expect(rebuilt.members).toEqual(incremental.members)
              }),
            25
          ),
        120_000
      )

      it.effect(
        "given a tenant read back from the store, when a client sends its current configuration again, then nothing is appended",
        () =>
          assertProperty(
            createTenantArb(),
            (create) =>
              Effect.gen(function* () {
                const tenantId = uniqueTenantId()
                const slug = `${create.slug.slice(0, 50)}-${uniqueTag()}` as Slug
                yield* handleTenantCommand(tenantId, { ...create, tenantId, slug, at: instantAt(1) })
                // As the HTTP edge would hand it over: decoded by Schema, keys in declared order.
                const changes = Schema.decodeUnknownSync(TenantConfigChanges)({
                  cms: create.cms,
                  cacheTTL: create.cacheTTL,
                  websiteDomain: create.websiteDomain,
                  siteProxy: create.siteProxy
                })
                const handled = yield* handleTenantCommand(tenantId, {
                  _tag: "UpdateTenantConfig",
                  changes,
                  at: instantAt(2)
                })
                expect(handled.decided).toEqual([])
                expect(yield* (yield* EventStore).readStream(tenantStream(tenantId))).toHaveLength(1)
              }),
            30
          ),
        120_000
      )
    }
  )
}
