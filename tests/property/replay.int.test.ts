import { expect, layer } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import { asJson } from "../../adapters/sql/rows.ts"
import { inlineProjections } from "../../adapters/sql/SqlStorage.ts"
import {
  cacheVersionsAggregate,
  membershipAggregate,
  tenantAggregate,
  webhookAggregate
} from "../../application/aggregates.ts"
import { decodeEventStrict } from "../../application/events/catalog.ts"
import { type Aggregate, type CommandContext, loadAggregate } from "../../application/handleCommand.ts"
import {
  type Checkpoint,
  EventStore,
  type RecordedEvent,
  startOfLog
} from "../../application/ports/EventStore.ts"
import { evolveTenantRow, type TenantRow } from "../../application/projections/tenantView.ts"
import { readTenant } from "../../application/runCommand.ts"
import {
  type CacheTarget,
  type CacheVersionsState,
  cacheVersionsStream
} from "../../domain/cacheVersions/index.ts"
import {
  type MembershipCommand,
  type MembershipState,
  membershipStream,
  roster,
  type TenantFacts
} from "../../domain/membership/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { TenantId, UserId, WebhookId } from "../../domain/shared/ids.ts"
import {
  type Slug,
  type TenantCommand,
  TenantConfigChanges,
  type TenantEvent,
  type TenantState,
  tenantStream
} from "../../domain/tenant/index.ts"
import { type WebhookProvider, type WebhookState, webhookStream } from "../../domain/webhook/index.ts"
import {
  cacheTargetArb,
  createTenantArb,
  instantAt,
  roleArb,
  stepMillisArb,
  type Untimed,
  untimedTenantCommandArb,
  webhookProviderArb,
  withInstant
} from "../support/arbitraries.ts"
import { databaseTargets } from "../support/databases.ts"
import {
  emailPool,
  type MemberStep,
  memberStepArb,
  toCommand,
  userPool
} from "../support/membershipArbitraries.ts"
import {
  assertProperty,
  handleCommandOn,
  handlerLayer,
  handleTenantCommand,
  uniqueTag,
  uniqueTenantId,
  withSnapshotPolicy
} from "../support/tenantHarness.ts"

/**
 * Replay determinism over the whole log, on every database target. A few tenants, each
 * with several streams (the tenant, its cache versions, its members, its webhooks), take
 * arbitrary commands through the real CommandHandler, made as the use cases make them
 * (reading other streams through the command context, which guards the append). Then the
 * log alone reproduces everything: each stream folded from scratch, loaded with its
 * snapshots or without, and the whole log read in commit order, give the states the
 * handler produced; the inline read models agree with the log and are rebuilt identically.
 */

const tenantCount = 3
/** Small pools, so tenants of one run compete for slugs (live slugs are unique) and for webhook ids. */
const slugPool = ["alpha", "beta", "gamma"] as const
const poolSlugArb = fc.constantFrom(...slugPool).map((slug) => slug as Slug)
const webhookCount = 3

type Action =
  | { readonly kind: "tenant"; readonly command: Untimed<TenantCommand> }
  | { readonly kind: "bump"; readonly target: CacheTarget }
  | { readonly kind: "member"; readonly steps: ReadonlyArray<MemberStep> }
  | {
      readonly kind: "createWebhook"
      readonly webhook: number
      readonly provider: WebhookProvider
      readonly refreshApi: boolean
      readonly refreshAssets: boolean
    }
  | { readonly kind: "regenerateWebhook"; readonly webhook: number; readonly asOwner: boolean }
  | { readonly kind: "deleteWebhook"; readonly webhook: number; readonly asOwner: boolean }
  | {
      readonly kind: "deliver"
      readonly webhook: number
      readonly target: CacheTarget
      readonly rightSecret: boolean
    }

/** Someone is invited by a member and takes the invite up at once: so that members join in every run. */
const joinArb: fc.Arbitrary<ReadonlyArray<MemberStep>> = fc
  .record({
    inviter: fc.nat(30),
    email: fc.nat(emailPool.length - 1),
    role: roleArb,
    joiner: fc.nat(userPool.length - 1)
  })
  .map(({ inviter, email, role, joiner }) => [
    { kind: "invite", actor: { member: true, index: inviter }, email, role, ttlMs: 86_400_000 },
    { kind: "accept", actor: joiner, invite: 0, token: "right", email: "invited" }
  ])

const webhookArb = fc.nat(webhookCount - 1)
/** Mostly the webhook's own tenant acts on it; now and then another one. */
const asOwnerArb = fc.constantFrom(true, true, true, false)
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("tenant" as const),
      command: untimedTenantCommandArb(createTenantArb(undefined, poolSlugArb))
    })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("bump" as const), target: cacheTargetArb }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("member" as const), steps: fc.tuple(memberStepArb) })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("member" as const), steps: joinArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("createWebhook" as const),
      webhook: webhookArb,
      provider: webhookProviderArb,
      refreshApi: fc.boolean(),
      refreshAssets: fc.boolean()
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("regenerateWebhook" as const),
      webhook: webhookArb,
      asOwner: asOwnerArb
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("deleteWebhook" as const),
      webhook: webhookArb,
      asOwner: asOwnerArb
    })
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("deliver" as const),
      webhook: webhookArb,
      target: cacheTargetArb,
      rightSecret: fc.constantFrom(true, true, false)
    })
  }
)

const scenarioArb = fc.record({
  snapshotEvery: fc.constantFrom(1, 2, 3, 1_000_000),
  /** A create for each tenant (a slug held by another may refuse it), and maybe one more. */
  creates: fc
    .tuple(
      fc.array(fc.record({ command: createTenantArb(undefined, poolSlugArb), step: stepMillisArb }), {
        minLength: tenantCount,
        maxLength: tenantCount
      }),
      fc.option(
        fc.record({
          tenant: fc.nat(tenantCount - 1),
          command: createTenantArb(undefined, poolSlugArb),
          step: stepMillisArb
        }),
        { nil: undefined }
      )
    )
    .map(([each, extra]) => [
      ...each.map((create, tenant) => ({ ...create, tenant })),
      ...(extra ? [extra] : [])
    ]),
  steps: fc.array(fc.record({ tenant: fc.nat(tenantCount - 1), action: actionArb, step: stepMillisArb }), {
    minLength: 5,
    maxLength: 50,
    size: "max"
  })
})
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer A> ? A : never

type AnyAggregate = Aggregate<unknown, { readonly _tag: string }, unknown, unknown>
const erase = <C, E extends { readonly _tag: string }, S, F>(aggregate: Aggregate<C, E, S, F>) =>
  aggregate as unknown as AnyAggregate

/** Which aggregate a stream belongs to, by the one function that spells each stream id. */
const aggregateOfStream = (streamId: string, aggregates: Aggregates): AnyAggregate =>
  streamId.startsWith("cache-versions-")
    ? erase(aggregates.cacheVersions)
    : streamId.startsWith("members-")
      ? erase(aggregates.membership)
      : streamId.startsWith("webhook-")
        ? erase(aggregates.webhook)
        : erase(aggregates.tenant)

type Aggregates = ReturnType<typeof aggregatesWith>
const aggregatesWith = (snapshotEvery: number) => ({
  tenant: withSnapshotPolicy(tenantAggregate, { snapshotEvery }),
  cacheVersions: cacheVersionsAggregate,
  membership: withSnapshotPolicy(membershipAggregate, { snapshotEvery }),
  webhook: withSnapshotPolicy(webhookAggregate, { snapshotEvery })
})

const factsOf = (tenant: TenantState): TenantFacts =>
  tenant.status === "active"
    ? { live: true, creatorId: tenant.creatorId }
    : { live: false, creatorId: "" as UserId }

const outcomeOf = (result: Result.Result<unknown, unknown>) =>
  Result.isSuccess(result) ? "ok" : (result.failure as { readonly _tag: string })._tag

/** A secret's stand-in digest for step `n`; `wrongSecret` opens nothing. */
const secretOf = (n: number) => n.toString(16).padStart(64, "0")
const wrongSecret = "f".repeat(64)

const runScenario = (scenario: Scenario) =>
  Effect.gen(function* () {
    const run = uniqueTag()
    const tenantIds = Array.from({ length: tenantCount }, () => uniqueTenantId())
    const webhookIds = Array.from(
      { length: webhookCount },
      (_, i) => `whk_${run}${i}`.padEnd(12, "0") as WebhookId
    )
    const aggregates = aggregatesWith(scenario.snapshotEvery)
    // What the handler said each stream is, after its last command.
    const handled = new Map<string, unknown>()
    const stateOf = <S>(initial: S, streamId: string): S =>
      (handled.has(streamId) ? handled.get(streamId) : initial) as S
    const tenantOf = (i: number) => stateOf(tenantAggregate.decider.initialState, tenantStream(tenantIds[i]!))
    /** The tenant a webhook was created by, if it was. */
    const ownerOf = (webhookId: string): number | undefined => {
      const webhook = stateOf(webhookAggregate.decider.initialState, webhookStream(webhookId))
      return webhook.status === "absent" ? undefined : tenantIds.indexOf(webhook.tenantId)
    }
    let clock = 0

    /**
     * Runs a command on a stream through the handler; `build` makes it from what it reads,
     * as the use cases do. The outcome must be what the pure decider says of the command
     * against the state we know (plus a live slug held elsewhere, which only the store sees).
     */
    const step = <C, E extends { readonly _tag: string }, S, F>(
      aggregate: Aggregate<C, E, S, F>,
      streamId: string,
      tenantId: string,
      build: (state: S, context: CommandContext) => Effect.Effect<C>,
      label: string
    ) =>
      Effect.gen(function* () {
        let made: C | undefined
        const result = yield* Effect.result(
          handleCommandOn(aggregate, { streamId, tenantId }, (state, context) =>
            Effect.tap(build(state, context), (command) =>
              Effect.sync(() => {
                made = command
              })
            )
          )
        )
        const before = stateOf(aggregate.decider.initialState, streamId)
        const decided = aggregate.decider.decide(made!, before)
        const command = made as { readonly _tag: string; readonly slug?: string }
        const slugHeldElsewhere =
          command._tag === "CreateTenant" &&
          tenantIds.some(
            (other, i) =>
              other !== tenantId &&
              tenantOf(i).status === "active" &&
              (tenantOf(i) as { slug: string }).slug === command.slug
          )
        const expected = Result.isFailure(decided)
          ? (decided.failure as { readonly _tag: string })._tag
          : slugHeldElsewhere
            ? "UniqueKeyTaken"
            : "ok"
        expect(outcomeOf(result), `${command._tag} (${label}) on ${streamId}`).toBe(expected)
        if (Result.isSuccess(result)) {
          expect(result.success.state).toEqual(fold(aggregate.decider, result.success.decided, before))
          handled.set(streamId, result.success.state)
        }
        return made!
      })

    for (const { tenant, action, step: ms } of [
      ...scenario.creates.map((create) => ({
        ...create,
        action: { kind: "tenant", command: create.command } as Action
      })),
      ...scenario.steps
    ]) {
      clock += ms
      const at = instantAt(clock)
      // A webhook's deliveries go to its own tenant (the receiver finds it by id), as do most of its commands.
      const owner =
        action.kind === "deliver" ||
        ((action.kind === "regenerateWebhook" || action.kind === "deleteWebhook") && action.asOwner)
          ? ownerOf(webhookIds[action.webhook]!)
          : undefined
      const actingTenant = owner ?? tenant
      const tenantId = tenantIds[actingTenant]!
      const live = tenantOf(actingTenant).status === "active"
      const readLive = (context: CommandContext) =>
        Effect.map(readTenant(context, tenantId), (state) => state.status === "active")
      switch (action.kind) {
        case "tenant": {
          const untimed: Untimed<TenantCommand> =
            action.command._tag === "CreateTenant"
              ? { ...action.command, tenantId, slug: `${action.command.slug}-${run}` as Slug }
              : action.command
          const command = withInstant(untimed, at) as TenantCommand
          yield* step(
            aggregates.tenant,
            tenantStream(tenantId),
            tenantId,
            () => Effect.succeed(command),
            `tenant ${actingTenant}`
          )
          break
        }
        case "bump": {
          const made = yield* step(
            aggregates.cacheVersions,
            cacheVersionsStream(tenantId),
            tenantId,
            (_state, context) =>
              Effect.map(readLive(context), (tenantLive) => ({
                _tag: "BumpCacheVersions" as const,
                target: action.target,
                tenantLive,
                at
              })),
            `tenant ${actingTenant}`
          )
          expect(made.tenantLive).toBe(live)
          break
        }
        case "member": {
          for (const memberStep of action.steps) {
            const made = yield* step(
              aggregates.membership,
              membershipStream(tenantId),
              tenantId,
              (state, context) =>
                Effect.map(
                  readTenant(context, tenantId),
                  (tenantState): MembershipCommand =>
                    toCommand(memberStep, state, factsOf(tenantState), at, clock)
                ),
              `tenant ${actingTenant}`
            )
            expect(made.tenant).toEqual(factsOf(tenantOf(actingTenant)))
          }
          break
        }
        case "createWebhook": {
          const webhookId = webhookIds[action.webhook]!
          yield* step(
            aggregates.webhook,
            webhookStream(webhookId),
            tenantId,
            (_state, context) =>
              Effect.map(readLive(context), (tenantLive) => ({
                _tag: "CreateCacheRefreshWebhook" as const,
                tenantId: tenantId as TenantId,
                tenantLive,
                webhookId,
                provider: action.provider,
                refreshApi: action.refreshApi,
                refreshAssets: action.refreshAssets,
                secretHash: secretOf(clock),
                at
              })),
            `tenant ${actingTenant}`
          )
          break
        }
        case "regenerateWebhook":
        case "deleteWebhook": {
          const webhookId = webhookIds[action.webhook]!
          const command =
            action.kind === "regenerateWebhook"
              ? {
                  _tag: "RegenerateCacheRefreshWebhook" as const,
                  tenantId: tenantId as TenantId,
                  webhookId,
                  secretHash: secretOf(clock),
                  at
                }
              : { _tag: "DeleteCacheRefreshWebhook" as const, tenantId: tenantId as TenantId, webhookId, at }
          yield* step(
            aggregates.webhook,
            webhookStream(webhookId),
            tenantId,
            () => Effect.succeed(command),
            `tenant ${actingTenant}`
          )
          break
        }
        case "deliver": {
          // As the receiver does: the webhook as its own stream has it, and whether its tenant is live.
          const webhookId = webhookIds[action.webhook]!
          const known = stateOf(webhookAggregate.decider.initialState, webhookStream(webhookId))
          const presented = action.rightSecret && known.status === "active" ? known.secretHash : wrongSecret
          const made = yield* step(
            aggregates.cacheVersions,
            cacheVersionsStream(tenantId),
            tenantId,
            (_state, context) =>
              Effect.gen(function* () {
                const own = yield* context.read(aggregates.webhook, webhookStream(webhookId))
                const tenantLive = yield* readLive(context)
                return {
                  _tag: "BumpCacheVersionsForWebhook" as const,
                  webhookId,
                  target: action.target,
                  tenantLive,
                  webhook:
                    own.status === "active" && own.tenantId === tenantId
                      ? { secretHash: own.secretHash }
                      : null,
                  presentedSecretHash: presented,
                  at
                }
              }),
            `tenant ${actingTenant}, webhook ${action.webhook}`
          )
          expect(made.webhook).toEqual(
            known.status === "active" && known.tenantId === tenantId ? { secretHash: known.secretHash } : null
          )
          break
        }
      }
    }
    return { tenantIds, webhookIds, handled, aggregates }
  })

type Outcome = Effect.Success<ReturnType<typeof runScenario>>

/** Every event of these tenants in the whole log, in commit order, as `readAll` hands them out. */
const logOf = (tenantIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const ours = new Set(tenantIds)
    const events: Array<RecordedEvent> = []
    let checkpoint: Checkpoint = startOfLog
    while (true) {
      const page = yield* store.readAll(checkpoint, 1000)
      if (page.events.length === 0) return events
      events.push(...page.events.filter((event) => ours.has(event.tenantId)))
      checkpoint = page.checkpoint
    }
  })

/** (a) + (b): each stream, and the whole log, reproduce what the handler produced. */
const checkStreams = ({
  tenantIds,
  handled,
  aggregates,
  snapshotEvery
}: Outcome & { snapshotEvery: number }) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const log = yield* logOf(tenantIds)
    // (b) The whole log, folded stream by stream in commit order, is every state the handler produced.
    const replayed = new Map<string, unknown>()
    for (const event of log) {
      const aggregate = aggregateOfStream(event.streamId, aggregates)
      const before = replayed.has(event.streamId)
        ? replayed.get(event.streamId)
        : aggregate.decider.initialState
      replayed.set(event.streamId, aggregate.decider.evolve(before, decodeEventStrict(event) as never))
    }
    expect([...replayed.keys()].sort()).toEqual([...handled.keys()].filter((id) => replayed.has(id)).sort())
    for (const [streamId, state] of handled) {
      const aggregate = aggregateOfStream(streamId, aggregates)
      expect(
        replayed.has(streamId) ? replayed.get(streamId) : aggregate.decider.initialState,
        streamId
      ).toEqual(state)
    }

    for (const streamId of replayed.keys()) {
      const aggregate = aggregateOfStream(streamId, aggregates)
      const stored = yield* store.readStream(streamId)
      expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, n) => n + 1))
      expect(stored.map((e) => e.position)).toEqual(
        log.filter((e) => e.streamId === streamId).map((e) => e.position)
      )
      // (a) The stream folded from scratch, every event strictly valid, is what the handler produced.
      const fromScratch = fold(
        aggregate.decider,
        stored.map((e) => decodeEventStrict(e) as never)
      )
      expect(fromScratch, streamId).toEqual(handled.get(streamId))
      // With the snapshot the handler kept, or ignoring snapshots, loading gives the same state.
      const withSnapshots = yield* loadAggregate(aggregate, streamId)
      const withoutSnapshots = yield* loadAggregate(
        { ...aggregate, stateVersion: aggregate.stateVersion + 1_000, snapshotEvery: 1_000_000 },
        streamId
      )
      expect(withSnapshots.state, streamId).toEqual(fromScratch)
      expect(withoutSnapshots.state, streamId).toEqual(fromScratch)
      expect(withSnapshots.version).toBe(stored.length)
      expect(withoutSnapshots.version).toBe(stored.length)
      if (aggregate.load === "fold") {
        expect(withoutSnapshots.snapshotVersion).toBe(0)
        if (stored.length >= snapshotEvery) expect(withSnapshots.snapshotVersion, streamId).toBeGreaterThan(0)
      }
    }
  })

/** (c) Each tenant's rows in the inline read models agree with its streams. */
const checkReadModels = ({ tenantIds, webhookIds, handled }: Outcome) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const sql = yield* SqlClient.SqlClient
    for (const tenantId of tenantIds) {
      const tenant = (handled.get(tenantStream(tenantId)) ?? { status: "absent" }) as TenantState
      const tenantEvents = (yield* store.readStream(tenantStream(tenantId))).map(
        (e) => decodeEventStrict(e) as TenantEvent
      )
      const row = tenantEvents.reduce<TenantRow | null>(evolveTenantRow, null)
      const rows = yield* sql<{ slug: string; view: unknown }>`
        SELECT slug, view FROM tenants WHERE tenant_id = ${tenantId}`
      const bumps = yield* store.readStream(cacheVersionsStream(tenantId))
      const versionRows = yield* sql<{ view: unknown }>`
        SELECT view FROM tenant_cache_versions WHERE tenant_id = ${tenantId}`
      const members = yield* sql<{ user_id: string; role: string }>`
        SELECT user_id, role FROM tenant_members WHERE tenant_id = ${tenantId} ORDER BY user_id COLLATE "C"`
      const webhooks = yield* sql<{
        webhook_id: string
        kind: string
        secret_hash: unknown
        sealed_secret: unknown
      }>`
        SELECT webhook_id, kind, secret_hash, sealed_secret FROM tenant_webhooks
        WHERE tenant_id = ${tenantId} ORDER BY webhook_id COLLATE "C"`

      // Cache versions outlive the tenant: the newest bump, if any.
      const lastBump = (handled.get(cacheVersionsStream(tenantId)) as CacheVersionsState | undefined)
        ?.versions
      expect(versionRows.map((r) => asJson<{ versions: unknown }>(r.view).versions)).toEqual(
        bumps.length === 0 ? [] : [lastBump]
      )
      if (tenant.status !== "active") {
        expect(row).toBeNull()
        expect(rows).toEqual([])
        expect(members).toEqual([])
        expect(webhooks).toEqual([])
        continue
      }
      expect(rows).toHaveLength(1)
      expect(rows[0]!.slug).toBe(tenant.slug)
      expect(JSON.parse(JSON.stringify(asJson(rows[0]!.view)))).toEqual(JSON.parse(JSON.stringify(row)))
      // Members: the roster of the members stream, the creator counted as owner.
      const membership = (handled.get(membershipStream(tenantId)) ?? { roles: new Map() }) as MembershipState
      expect(members.map((m) => [m.user_id, m.role])).toEqual(
        [...roster({ ...membershipAggregate.decider.initialState, ...membership }, tenant.creatorId)].sort(
          ([a], [b]) => (a < b ? -1 : 1)
        )
      )
      // Webhooks: the site-publish secret, and the tenant's live cache-refresh webhooks.
      const expected = [
        ...(tenant.webhookSecret === null
          ? []
          : [
              {
                webhook_id: `site-publish:${tenantId}`,
                kind: "site-publish",
                secret_hash: null,
                sealed_secret: tenant.webhookSecret
              }
            ]),
        ...webhookIds.flatMap((webhookId) => {
          const webhook = handled.get(webhookStream(webhookId)) as WebhookState | undefined
          return webhook?.status === "active" && webhook.tenantId === tenantId
            ? [
                {
                  webhook_id: webhookId,
                  kind: "cache-refresh",
                  secret_hash: webhook.secretHash,
                  sealed_secret: null
                }
              ]
            : []
        })
      ].sort((a, b) => (a.webhook_id < b.webhook_id ? -1 : 1))
      expect(webhooks).toEqual(expected)
    }
  })

/** Every row of every inline read model, in a stable order. */
const readModels = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return {
    tenants:
      yield* sql`SELECT tenant_id, slug, view, position::text AS position FROM tenants ORDER BY tenant_id`,
    cacheVersions:
      yield* sql`SELECT tenant_id, view, position::text AS position FROM tenant_cache_versions ORDER BY tenant_id`,
    members:
      yield* sql`SELECT tenant_id, user_id, role FROM tenant_members ORDER BY tenant_id, user_id COLLATE "C"`,
    invites: yield* sql`SELECT * FROM tenant_invites ORDER BY tenant_id, invite_id`,
    webhooks: yield* sql`SELECT * FROM tenant_webhooks ORDER BY webhook_id COLLATE "C"`
  }
})

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 120_000 })(
    `Replay determinism: ${target.name}`,
    (it) => {
      it.effect(
        "given arbitrary valid commands on every stream of a few tenants, when the log is folded from scratch, stream by stream or whole, loaded with snapshots or without, then each gives the state the handler produced, and the read models agree with it and are rebuilt identically",
        () =>
          assertProperty(
            scenarioArb,
            (scenario) =>
              Effect.gen(function* () {
                const outcome = yield* runScenario(scenario)
                yield* checkStreams({ ...outcome, snapshotEvery: scenario.snapshotEvery })
                yield* checkReadModels(outcome)
                // (d) Rebuilt from the log, every inline read model is exactly what was maintained on the way.
                const incremental = yield* readModels
                for (const projection of inlineProjections) yield* rebuildInlineProjection(projection)
                expect(yield* readModels).toEqual(incremental)
              }),
            12
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
