import fc from "fast-check"
import type { Instant, UserId } from "../../domain/shared/ids.ts"
import { type Role, roles } from "../../domain/shared/roles.ts"
import type { CommandActor, MembershipCommand, TenantState } from "../../domain/tenant/index.ts"

/**
 * Membership commands by arbitrary actors. A step names people and invites by index
 * into small pools, so sequences keep meeting the same members and invites; it becomes
 * a command against the state it runs on (the right token of an invite, say).
 */
export const ownerId = "user_owner" as UserId
export const masterAdminId = "user_master" as UserId
export const userPool: ReadonlyArray<UserId> = [
  ownerId,
  "user_ann" as UserId,
  "user_bob" as UserId,
  "user_cy" as UserId,
  "user_dee" as UserId,
  masterAdminId
]
export const emailPool = ["ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"] as const

/** Stand-ins for SecretBox: the decider only compares fingerprints and never opens a seal. */
export const fingerprintOf = (email: string) => `fp:${email}`
export const sealedOf = (email: string) => `sealed:${email}`

export const roleArb: fc.Arbitrary<Role> = fc.constantFrom(...roles)
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

/** Who a step means in this state. */
export const resolve = (who: Who, state: TenantState): UserId => {
  const current = state.status === "active" ? (Object.keys(state.members).sort() as Array<UserId>) : []
  return who.member && current.length > 0
    ? current[who.index % current.length]!
    : userPool[who.index % userPool.length]!
}

const inviteIdOf = (back: number, state: TenantState): number =>
  state.status === "active" ? state.nextInviteId - 1 - back : back + 1

/** The command a step stands for, against `state`, at `at`; `n` makes its token hash unique. */
export const toCommand = (
  step: MemberStep,
  state: TenantState,
  at: Instant,
  n: number
): MembershipCommand => {
  const actor = actorOf(step.kind === "accept" ? userPool[step.actor]! : resolve(step.actor, state))
  switch (step.kind) {
    case "invite": {
      const email = emailPool[step.email]!
      return {
        _tag: "InviteMember",
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
      return { _tag: "RevokeInvite", actor, inviteId: Math.max(1, inviteIdOf(step.invite, state)), at }
    case "accept": {
      const inviteId = Math.max(1, inviteIdOf(step.invite, state))
      const found = state.status === "active" ? state.invites[String(inviteId)] : undefined
      return {
        _tag: "AcceptInvite",
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
      return { _tag: "ChangeMemberRole", actor, userId: resolve(step.target, state), role: step.role, at }
    case "remove":
      return { _tag: "RemoveMember", actor, userId: resolve(step.target, state), at }
  }
}
