import fc from "fast-check"
import {
  type CommandActor,
  type MembershipCommand,
  type MembershipState,
  roster,
  type TenantFacts
} from "../../domain/membership/index.ts"
import type { Instant, UserId } from "../../domain/shared/ids.ts"
import type { Role } from "../../domain/shared/roles.ts"
import { roleArb } from "./arbitraries.ts"

/**
 * Membership commands by arbitrary actors. A step names people and invites by index
 * into small pools, so sequences keep meeting the same members and invites; it becomes
 * a command against the state it runs on (the right token of an invite, say). The pool
 * holds two ids Object.prototype already has a key for, so every sequence property is a
 * hostile-key property too.
 */
export const ownerId = "user_owner" as UserId
export const masterAdminId = "user_master" as UserId
export const userPool: ReadonlyArray<UserId> = [
  ownerId,
  "user_ann" as UserId,
  "user_bob" as UserId,
  "user_cy" as UserId,
  "user_dee" as UserId,
  "__proto__" as UserId,
  "constructor" as UserId,
  masterAdminId
]
export const emailPool = ["ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"] as const

/** Stand-ins for SecretBox: the decider only compares fingerprints and never opens a seal. */
export const fingerprintOf = (email: string) => `fp:${email}`
export const sealedOf = (email: string) => `sealed:${email}`

/**
 * A person: usually someone who is a member at that moment (so most commands get past
 * the first guard), sometimes anyone from the pool, master admin included.
 */
export interface Who {
  readonly member: boolean
  readonly index: number
}
const user: fc.Arbitrary<Who> = fc.record({ member: fc.boolean(), index: fc.nat(30) })
/** An invite made so far, counted back from the latest (0 = the latest); past the first, an unknown id. */
const invite = fc.oneof(fc.constant(0), fc.nat(6))

export type MemberStep =
  | {
      readonly kind: "invite"
      readonly actor: Who
      readonly email: number
      readonly role: Role
      readonly ttlMs: number
    }
  | { readonly kind: "revoke"; readonly actor: Who; readonly invite: number }
  | {
      readonly kind: "accept"
      readonly actor: number
      readonly invite: number
      readonly token: "right" | "wrong"
      readonly email: "none" | "invited" | "other"
    }
  | { readonly kind: "change"; readonly actor: Who; readonly target: Who; readonly role: Role }
  | { readonly kind: "remove"; readonly actor: Who; readonly target: Who }

export const memberStepArb: fc.Arbitrary<MemberStep> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("invite" as const),
      actor: user,
      email: fc.nat(emailPool.length - 1),
      role: roleArb,
      ttlMs: fc.oneof(
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 600_000 }) },
        { weight: 4, arbitrary: fc.integer({ min: 3_600_000, max: 7 * 86_400_000 }) }
      )
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("revoke" as const), actor: user, invite }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant("accept" as const),
      actor: fc.nat(userPool.length - 1),
      invite,
      token: fc.constantFrom("right" as const, "right" as const, "wrong" as const),
      email: fc.constantFrom("none" as const, "invited" as const, "invited" as const, "other" as const)
    })
  },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("change" as const), actor: user, target: user, role: roleArb })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), actor: user, target: user }) }
)

/** Sequences with time moving forward before each step: mostly seconds, sometimes up to a day. */
export const memberScenarioArb = fc.array(
  fc.tuple(
    memberStepArb,
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 60_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 86_400_000 }) }
    )
  ),
  { minLength: 1, maxLength: 60, size: "medium" }
)

export const actorOf = (userId: UserId): CommandActor => ({ userId, masterAdmin: userId === masterAdminId })

/** Who a step means among these members. */
export const resolve = (who: Who, members: ReadonlyMap<UserId, Role>): UserId => {
  const current = [...members.keys()].sort()
  return who.member && current.length > 0
    ? current[who.index % current.length]!
    : userPool[who.index % userPool.length]!
}

const inviteIdOf = (back: number, state: MembershipState): number => state.nextInviteId - 1 - back

/**
 * The command a step stands for, against `state` of a tenant with these `tenant` facts,
 * at `at`; `n` makes its token hash unique.
 */
export const toCommand = (
  step: MemberStep,
  state: MembershipState,
  tenant: TenantFacts,
  at: Instant,
  n: number
): MembershipCommand => {
  const members = roster(state, tenant.creatorId)
  const actor = actorOf(step.kind === "accept" ? userPool[step.actor]! : resolve(step.actor, members))
  switch (step.kind) {
    case "invite": {
      const email = emailPool[step.email]!
      return {
        _tag: "InviteMember",
        tenant,
        actor,
        sealedEmail: sealedOf(email),
        emailFingerprint: fingerprintOf(email),
        role: step.role,
        tokenHash: `hash-${n}`,
        expiresAt: new Date(Date.parse(at) + step.ttlMs).toISOString(),
        at
      }
    }
    case "revoke":
      return {
        _tag: "RevokeInvite",
        tenant,
        actor,
        inviteId: Math.max(1, inviteIdOf(step.invite, state)),
        at
      }
    case "accept": {
      const inviteId = Math.max(1, inviteIdOf(step.invite, state))
      const found = state.invites.get(inviteId)
      return {
        _tag: "AcceptInvite",
        tenant,
        actor,
        inviteId,
        tokenHash: step.token === "right" && found !== undefined ? found.tokenHash : `wrong-${n}`,
        emailFingerprint:
          step.email === "none"
            ? null
            : step.email === "invited" && found !== undefined
              ? found.emailFingerprint
              : fingerprintOf("someone.else@example.com"),
        at
      }
    }
    case "change":
      return {
        _tag: "ChangeMemberRole",
        tenant,
        actor,
        userId: resolve(step.target, members),
        role: step.role,
        at
      }
    case "remove":
      return { _tag: "RemoveMember", tenant, actor, userId: resolve(step.target, members), at }
  }
}
