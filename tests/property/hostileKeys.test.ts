import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import fc from "fast-check"
import { membershipAggregate } from "../../application/aggregates.ts"
import { membershipCodec } from "../../application/events/catalog.ts"
import { webhookIdOf } from "../../application/webhooks/cacheRefreshWebhooks.ts"
import { cacheVersionsDecider } from "../../domain/cacheVersions/index.ts"
import {
  type MembershipCommand,
  type MembershipEvent,
  type MembershipState,
  membershipDecider,
  roster
} from "../../domain/membership/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { TenantId, UserId, WebhookId } from "../../domain/shared/ids.ts"
import { type Role, roles } from "../../domain/shared/roles.ts"
import { type Slug, type TenantConfigChanges, tenantDecider } from "../../domain/tenant/index.ts"
import { webhookDecider } from "../../domain/webhook/index.ts"
import {
  cacheTargetArb,
  createTenantArb,
  hostileKeyArb,
  hostileKeys,
  instantAt,
  roleArb
} from "../support/arbitraries.ts"
import { given } from "../support/decider.ts"

/**
 * Issue 13, hole 1: ids from requests must never meet what an object inherits. Every
 * decider is fed ids that Object.prototype already has a key for (`__proto__`,
 * `constructor`, `toString`, `hasOwnProperty`, `valueOf`, `prototype`) wherever an id
 * becomes state or is looked up in it: a hostile id that is nobody is refused as nobody,
 * one that joins is exactly that member, and nothing ever reaches Object.prototype.
 *
 * (Against the release before the split (6c22b01), where membership was a
 * `Record<string, Role>` in the tenant's state, the membership property fails on its
 * first run: `members["__proto__"]` is Object.prototype, so removing or re-roling a
 * `__proto__` who never joined went through (a `MemberRemoved` whose role was
 * Object.prototype); `toString`'s "previous role" was the function; `constructor` could
 * never take up an invite ("already a member"); an invite id `__proto__` threw.)
 */

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()
/** Nothing was added to, or replaced on, Object.prototype. */
const expectPrototypeUntouched = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys)
  const probe: Record<string, unknown> = {}
  for (const key of ["role", "owner", "admin", "status", "tokenHash", "emailFingerprint", "polluted"]) {
    expect(probe[key], `Object.prototype.${key}`).toBeUndefined()
  }
}

// Membership ------------------------------------------------------------------------------

/** The membership decider as the property drives it. */
const subject = {
  initial: membershipDecider.initialState,
  decide: membershipDecider.decide,
  fold: (events: ReadonlyArray<MembershipEvent>, state: MembershipState) =>
    fold(membershipDecider, events, state),
  members: (state: MembershipState, creatorId: UserId): ReadonlyMap<string, Role> => roster(state, creatorId)
}

const master = { userId: "user_master" as UserId, masterAdmin: true }
const plainIds = ["user_ann", "user_bob"] as const
/** Hostile ids, and two plain ones so that hostile ids meet ordinary members too. */
const someoneArb = fc.constantFrom<string>(...hostileKeys, ...plainIds)
const emailOf = (userId: string) => `fp:${userId}@example.com`

type Step =
  | { readonly kind: "join"; readonly userId: string; readonly role: Role }
  | { readonly kind: "change"; readonly userId: string; readonly role: Role }
  | { readonly kind: "remove"; readonly userId: string }
  | { readonly kind: "manage"; readonly userId: string }
  | { readonly kind: "inviteId"; readonly inviteId: string }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("join" as const), userId: someoneArb, role: roleArb })
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("change" as const), userId: someoneArb, role: roleArb })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), userId: someoneArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("manage" as const), userId: someoneArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("inviteId" as const), inviteId: hostileKeyArb }) }
)

const scenarioArb = fc.record({
  creatorId: fc.constantFrom<string>("user_creator", ...hostileKeys),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30 })
})

const refusalOf = (decision: Result.Result<ReadonlyArray<MembershipEvent>, { readonly _tag: string }>) =>
  Result.isFailure(decision) ? decision.failure : undefined

describe("Hostile keys: membership", () => {
  it("given members, invites and actors named by hostile ids, then each is exactly who the stream says: nobody until they join, then exactly that member, and Object.prototype is never touched", () => {
    fc.assert(
      fc.property(scenarioArb, ({ creatorId, steps }) => {
        const tenant = { live: true, creatorId: creatorId as UserId }
        // The model: who holds which role, and who joined by invite (by email).
        const model = new Map<string, Role>([[creatorId, "owner"]])
        const joinedByInvite = new Set<string>()
        let state = subject.initial
        let clock = 0
        const at = () => instantAt(++clock * 1000)
        const decide = (command: MembershipCommand) => {
          const decision = subject.decide(command, state)
          if (Result.isSuccess(decision)) state = subject.fold(decision.success, state)
          return decision
        }
        const owners = () => [...model.values()].filter((role) => role === "owner").length

        for (const step of steps) {
          switch (step.kind) {
            case "join": {
              // A master admin invites the id's email; the id takes the invite up.
              const invited = decide({
                _tag: "InviteMember",
                tenant,
                actor: master,
                sealedEmail: `sealed:${step.userId}`,
                emailFingerprint: emailOf(step.userId),
                role: step.role,
                tokenHash: `hash-${clock}`,
                expiresAt: instantAt(10_000_000_000),
                at: at()
              })
              if (joinedByInvite.has(step.userId) && model.has(step.userId)) {
                expect(refusalOf(invited)?._tag).toBe("AlreadyMember")
                break
              }
              if (Result.isFailure(invited)) throw new Error(`invite refused: ${invited.failure._tag}`)
              const [invite] = invited.success
              if (invite?._tag !== "MemberInvited" && invite?._tag !== "InviteRefreshed") {
                throw new Error(`invite decided ${JSON.stringify(invited.success)}`)
              }
              const inviteId = invite.inviteId
              const accepted = decide({
                _tag: "AcceptInvite",
                tenant,
                actor: { userId: step.userId as UserId, masterAdmin: false },
                inviteId,
                tokenHash: `hash-${clock - 1}`,
                emailFingerprint: emailOf(step.userId),
                at: at()
              })
              if (model.has(step.userId)) {
                expect(refusalOf(accepted)?._tag).toBe("AlreadyMember")
              } else {
                expect(Result.isSuccess(accepted) && accepted.success).toEqual([
                  {
                    _tag: "InviteAccepted",
                    inviteId,
                    userId: step.userId,
                    role: step.role,
                    at: instantAt(clock * 1000)
                  }
                ])
                model.set(step.userId, step.role)
                joinedByInvite.add(step.userId)
              }
              break
            }
            case "change": {
              const decision = decide({
                _tag: "ChangeMemberRole",
                tenant,
                actor: master,
                userId: step.userId as UserId,
                role: step.role,
                at: at()
              })
              const held = model.get(step.userId)
              if (held === undefined) {
                expect(refusalOf(decision)).toMatchObject({ _tag: "MemberNotFound", userId: step.userId })
              } else if (held === step.role) {
                expect(Result.isSuccess(decision) && decision.success).toEqual([])
              } else if (held === "owner" && owners() === 1) {
                expect(refusalOf(decision)).toMatchObject({ _tag: "MembershipForbidden", rule: "last_owner" })
              } else {
                expect(Result.isSuccess(decision) && decision.success).toEqual([
                  {
                    _tag: "MemberRoleChanged",
                    userId: step.userId,
                    previousRole: held,
                    role: step.role,
                    at: instantAt(clock * 1000)
                  }
                ])
                model.set(step.userId, step.role)
              }
              break
            }
            case "remove": {
              const decision = decide({
                _tag: "RemoveMember",
                tenant,
                actor: master,
                userId: step.userId as UserId,
                at: at()
              })
              const held = model.get(step.userId)
              if (held === undefined) {
                expect(refusalOf(decision)).toMatchObject({ _tag: "MemberNotFound", userId: step.userId })
              } else if (held === "owner" && owners() === 1) {
                expect(refusalOf(decision)).toMatchObject({ _tag: "MembershipForbidden", rule: "last_owner" })
              } else {
                expect(Result.isSuccess(decision) && decision.success).toEqual([
                  { _tag: "MemberRemoved", userId: step.userId, role: held, at: instantAt(clock * 1000) }
                ])
                model.delete(step.userId)
                joinedByInvite.delete(step.userId)
              }
              break
            }
            case "manage": {
              // The id itself (no master admin) manages members: only as an admin or owner.
              const decision = decide({
                _tag: "RevokeInvite",
                tenant,
                actor: { userId: step.userId as UserId, masterAdmin: false },
                inviteId: 1_000_000,
                at: at()
              })
              const held = model.get(step.userId)
              expect(refusalOf(decision)).toMatchObject(
                held === "admin" || held === "owner"
                  ? { _tag: "InviteNotFound" }
                  : { _tag: "MembershipForbidden", rule: "not_admin" }
              )
              break
            }
            case "inviteId": {
              // An invite id that is no number, as a request that skipped validation would carry it.
              const inviteId = step.inviteId as unknown as number
              expect(
                refusalOf(decide({ _tag: "RevokeInvite", tenant, actor: master, inviteId, at: at() }))
              ).toMatchObject({ _tag: "InviteNotFound" })
              expect(
                refusalOf(
                  decide({
                    _tag: "AcceptInvite",
                    tenant,
                    actor: { userId: "user_newcomer" as UserId, masterAdmin: false },
                    inviteId,
                    tokenHash: "hash-0",
                    emailFingerprint: null,
                    at: at()
                  })
                )
              ).toMatchObject({ _tag: "InviteNotFound" })
              break
            }
          }
          // Exactly the members the model has, with exactly their roles: no inherited key is anyone.
          const members = subject.members(state, creatorId as UserId)
          expect(Object.fromEntries([...members].sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(
            Object.fromEntries([...model].sort(([a], [b]) => (a < b ? -1 : 1)))
          )
          for (const role of members.values()) expect(roles).toContain(role)
          expectPrototypeUntouched()
        }
      }),
      { numRuns: 300 }
    )
  })

  it("given events naming hostile ids, when folded after a trip through the log's JSON and the snapshot's, then the state keys are exactly the ids named and Object.prototype is untouched", () => {
    type Naming = Extract<MembershipEvent, { _tag: "InviteAccepted" | "MemberRoleChanged" | "MemberRemoved" }>
    const eventArb: fc.Arbitrary<Naming> = fc.oneof(
      fc.record({
        _tag: fc.constant("InviteAccepted" as const),
        inviteId: fc.integer({ min: 1, max: 3 }),
        userId: hostileKeyArb as fc.Arbitrary<UserId>,
        role: roleArb,
        at: fc.constant(instantAt(1))
      }),
      fc.record({
        _tag: fc.constant("MemberRoleChanged" as const),
        userId: hostileKeyArb as fc.Arbitrary<UserId>,
        previousRole: roleArb,
        role: roleArb,
        at: fc.constant(instantAt(2))
      }),
      fc.record({
        _tag: fc.constant("MemberRemoved" as const),
        userId: hostileKeyArb as fc.Arbitrary<UserId>,
        role: roleArb,
        at: fc.constant(instantAt(3))
      })
    )
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 12 }), (events) => {
        const stored = events.map((event) =>
          membershipCodec.decodeStrict({
            ...JSON.parse(JSON.stringify(membershipCodec.encode(event))),
            tenantId: "tnt_hostile0001"
          })
        )
        const state = fold(membershipDecider, stored)
        // The last word on each id: its role, or null once removed.
        const expected = new Map<string, Role | null>()
        for (const event of events)
          expected.set(event.userId, event._tag === "MemberRemoved" ? null : event.role)
        expect([...state.roles.keys()].sort()).toEqual([...expected.keys()].sort())
        for (const [userId, role] of expected) expect(state.roles.get(userId as UserId)).toBe(role)
        const snapshot = membershipAggregate.snapshot!
        const restored = snapshot.decode(JSON.parse(JSON.stringify(snapshot.encode(state))))
        expect(restored).toEqual(state)
        expect([...restored.roles.keys()].sort()).toEqual([...expected.keys()].sort())
        expectPrototypeUntouched()
      }),
      { numRuns: 200 }
    )
  })
})

// Tenant, webhook, cache versions ---------------------------------------------------------

const tenantId = "tnt_hostile0001" as TenantId
const at = instantAt(1)

describe("Hostile keys: tenant", () => {
  it("given a creator or a slug named like an inherited key, then the tenant holds exactly those, its creator is its only owner, and deletion frees exactly that slug", () => {
    fc.assert(
      fc.property(
        createTenantArb(),
        hostileKeyArb,
        fc.constantFrom("constructor", "prototype", "valueof", "tostring") as fc.Arbitrary<Slug>,
        (create, creator, slug) => {
          const command = { ...create, tenantId, slug, ownerId: creator as UserId, at }
          const state = given(tenantDecider)
            .when(command)
            .then({ ...command, _tag: "TenantCreated" })
          expect(state).toMatchObject({ status: "active", slug, creatorId: creator })
          expect(Object.fromEntries(roster(membershipDecider.initialState, creator as UserId))).toEqual({
            [creator]: "owner"
          })
          given(tenantDecider, { ...command, _tag: "TenantCreated" })
            .when({ _tag: "DeleteTenant", at })
            .then({ _tag: "TenantDeleted", slug, at })
          expectPrototypeUntouched()
        }
      ),
      { numRuns: 50 }
    )
  })

  it("given configuration changes carrying a `__proto__` key (parsed from JSON), then only the known fields are recorded and the state's prototype stays Object.prototype", () => {
    const created = {
      ...fc.sample(createTenantArb(), { numRuns: 1, seed: 13 })[0]!,
      tenantId,
      _tag: "TenantCreated" as const,
      at
    }
    const changes = JSON.parse(
      `{"__proto__": {"polluted": true, "cacheTTL": 1}, "cacheTTL": ${created.cacheTTL + 1}}`
    )
    const state = given(tenantDecider, created)
      .when({ _tag: "UpdateTenantConfig", changes: changes as TenantConfigChanges, at })
      .then({ _tag: "TenantConfigUpdated", changes: { cacheTTL: created.cacheTTL + 1 }, at })
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype)
    expect(state).toMatchObject({ cacheTTL: created.cacheTTL + 1 })
    expectPrototypeUntouched()
  })
})

describe("Hostile keys: webhooks and cache versions", () => {
  it("given a hostile id in a request, when it reaches the core, then it names no webhook: WebhookNotFound before any stream is read", () => {
    for (const key of hostileKeys) {
      const refused = Effect.runSync(Effect.flip(webhookIdOf(key)))
      expect(refused).toMatchObject({ _tag: "WebhookNotFound", webhookId: key })
    }
  })

  it("given a hostile webhook id that got past validation, then every webhook decision treats it as nobody's: not found, never another webhook", () => {
    fc.assert(
      fc.property(hostileKeyArb, cacheTargetArb, (key, target) => {
        const hostile = key as WebhookId
        // Its own stream (`webhook-{id}`) never had an event: the decision sees an absent webhook.
        given(webhookDecider)
          .when({
            _tag: "RegenerateCacheRefreshWebhook",
            tenantId,
            webhookId: hostile,
            secretHash: "b".repeat(64),
            at
          })
          .thenFails("WebhookNotFound", { webhookId: key })
        given(webhookDecider)
          .when({ _tag: "DeleteCacheRefreshWebhook", tenantId, webhookId: hostile, at })
          .thenFails("WebhookNotFound", { webhookId: key })
        // Created under such an id, it is exactly that webhook (the id is carried, never looked up).
        given(webhookDecider)
          .when({
            _tag: "CreateCacheRefreshWebhook",
            tenantId,
            tenantLive: true,
            webhookId: hostile,
            provider: "generic",
            refreshApi: true,
            refreshAssets: false,
            secretHash: "a".repeat(64),
            at
          })
          .thenMatches({ _tag: "CacheRefreshWebhookCreated", webhookId: hostile })
        given(cacheVersionsDecider)
          .when({
            _tag: "BumpCacheVersionsForWebhook",
            webhookId: hostile,
            target,
            tenantLive: true,
            webhook: null,
            presentedSecretHash: "",
            at
          })
          .thenFails("WebhookNotFound", { webhookId: key })
        expectPrototypeUntouched()
      }),
      { numRuns: 50 }
    )
  })
})
