import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { membershipCodec } from "../../application/events/catalog.ts"
import {
  actingRole,
  type MembershipCommand,
  type MembershipEvent,
  type MembershipState,
  MembershipState as MembershipStateSchema,
  membershipDecider,
  roster,
  type TenantFacts
} from "../../domain/membership/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { UserId } from "../../domain/shared/ids.ts"
import { hasRole, type Role, roleRank } from "../../domain/shared/roles.ts"
import { instantAt } from "../support/arbitraries.ts"
import {
  fingerprintOf,
  masterAdminId,
  memberScenarioArb,
  ownerId,
  sealedOf,
  toCommand,
  userPool
} from "../support/membershipArbitraries.ts"

const { decide } = membershipDecider

/** A live tenant created by `ownerId`, as its own stream tells membership. */
const tenant: TenantFacts = { live: true, creatorId: ownerId }
const created: MembershipState = membershipDecider.initialState

const members = (state: MembershipState): Readonly<Record<string, Role>> =>
  Object.fromEntries(roster(state, tenant.creatorId))
const owners = (state: MembershipState) =>
  [...roster(state, tenant.creatorId).values()].filter((role) => role === "owner").length

/** Runs commands in order, each against the state the previous ones left; fails the test on a refusal. */
const run = (state: MembershipState, ...commands: ReadonlyArray<MembershipCommand>): MembershipState =>
  commands.reduce((current, command) => {
    const decision = decide(command, current)
    if (Result.isFailure(decision)) throw new Error(`${command._tag} refused: ${decision.failure._tag}`)
    return fold(membershipDecider, decision.success, current)
  }, state)

const refusal = (state: MembershipState, command: MembershipCommand) => {
  const decision = decide(command, state)
  return Result.isFailure(decision) ? decision.failure : undefined
}

const at = (n: number) => instantAt(n * 1000)
const as = (userId: string) => ({ userId: userId as UserId, masterAdmin: userId === masterAdminId })
const invite = (actor: string, email: string, role: Role, n: number): MembershipCommand => ({
  _tag: "InviteMember",
  tenant,
  actor: as(actor),
  sealedEmail: sealedOf(email),
  emailFingerprint: fingerprintOf(email),
  role,
  tokenHash: `hash-${n}`,
  expiresAt: at(n + 1000),
  at: at(n)
})
const accept = (
  userId: string,
  inviteId: number,
  n: number,
  email: string | null = null
): MembershipCommand => ({
  _tag: "AcceptInvite",
  tenant,
  actor: as(userId),
  inviteId,
  tokenHash: `hash-${n}`,
  emailFingerprint: email === null ? null : fingerprintOf(email),
  at: at(n + 1)
})
const change = (actor: string, userId: string, role: Role, n: number): MembershipCommand => ({
  _tag: "ChangeMemberRole",
  tenant,
  actor: as(actor),
  userId: userId as UserId,
  role,
  at: at(n)
})
const remove = (actor: string, userId: string, n: number): MembershipCommand => ({
  _tag: "RemoveMember",
  tenant,
  actor: as(actor),
  userId: userId as UserId,
  at: at(n)
})

/** A tenant with the owner, an admin (ann) and an editor (bob). */
const staffed = run(
  created,
  invite(ownerId, "ann@example.com", "admin", 1),
  accept("user_ann", 1, 1),
  invite(ownerId, "bob@example.com", "editor", 3),
  accept("user_bob", 2, 3)
)

interface Grant {
  readonly role: Role
  /** The role the granting actor acted with when granting. */
  readonly granter: Role
}

describe("Membership rules (decider, arbitrary sequences by arbitrary actors)", () => {
  it("given arbitrary membership commands by arbitrary actors, then there is always at least one owner and nobody holds a role granted by someone below it", () => {
    fc.assert(
      fc.property(memberScenarioArb, (scenario) => {
        let state = created
        let clock = 0
        const grants = new Map<string, Grant>([[ownerId, { role: "owner", granter: "owner" }]])
        const inviteGrants = new Map<number, Grant>()
        for (const [n, [step, ms]] of scenario.entries()) {
          clock += ms
          const command = toCommand(step, state, tenant, instantAt(clock), n)
          const decision = decide(command, state)
          if (Result.isFailure(decision)) continue
          const actor = command.actor
          const actorRole = actingRole(roster(state, tenant.creatorId), actor)
          if (command._tag !== "AcceptInvite") {
            // Only admins and owners (and master admins, as owners) manage members.
            expect(actorRole !== undefined && hasRole(actorRole, "admin")).toBe(true)
          }
          if (command._tag === "ChangeMemberRole" || command._tag === "RemoveMember") {
            // Nobody changes their own role or removes themselves.
            expect(command.userId).not.toBe(actor.userId)
          }
          for (const event of decision.success) {
            // Every event the decider emits is stored and read back strictly valid.
            const stored = JSON.parse(JSON.stringify(membershipCodec.encode(event)))
            expect(membershipCodec.decodeStrict({ ...stored, tenantId: "tnt_membership00" })).toEqual(event)
            record(event, actorRole!, grants, inviteGrants)
          }
          state = fold(membershipDecider, decision.success, state)

          expect(owners(state)).toBeGreaterThanOrEqual(1)
          for (const [userId, role] of Object.entries(members(state))) {
            const grant = grants.get(userId)
            expect(grant?.role, `${userId}'s grant`).toBe(role)
            expect(roleRank(grant!.granter)).toBeGreaterThanOrEqual(roleRank(role))
            if (role === "owner") expect(grant!.granter).toBe("owner")
          }
          expect(Schema.is(MembershipStateSchema)(state)).toBe(true)
        }
      }),
      { numRuns: 1000 }
    )
  })

  it("given arbitrary sequences, then invite ids count up from 1 per tenant and an email never has two pending invites", () => {
    fc.assert(
      fc.property(memberScenarioArb, (scenario) => {
        let state = created
        let clock = 0
        for (const [n, [step, ms]] of scenario.entries()) {
          clock += ms
          const decision = decide(toCommand(step, state, tenant, instantAt(clock), n), state)
          if (Result.isSuccess(decision)) state = fold(membershipDecider, decision.success, state)
        }
        const invites = [...state.invites.values()]
        expect(invites.map((i) => i.inviteId).sort((a, b) => a - b)).toEqual(invites.map((_, i) => i + 1))
        expect(state.nextInviteId).toBe(invites.length + 1)
        const pending = invites.filter((i) => i.status === "pending").map((i) => i.emailFingerprint)
        expect(new Set(pending).size).toBe(pending.length)
      }),
      { numRuns: 500 }
    )
  })
})

const record = (
  event: MembershipEvent,
  actorRole: Role,
  grants: Map<string, Grant>,
  invites: Map<number, Grant>
) => {
  switch (event._tag) {
    case "MemberInvited":
    case "InviteRefreshed":
      invites.set(event.inviteId, { role: event.role, granter: actorRole })
      break
    case "InviteAccepted":
      grants.set(event.userId, invites.get(event.inviteId)!)
      break
    case "MemberRoleChanged":
      grants.set(event.userId, { role: event.role, granter: actorRole })
      break
    case "MemberRemoved":
      grants.delete(event.userId)
      break
    default:
      break
  }
}

describe("Membership rules (examples)", () => {
  it("given an owner, when they promote a member to owner, then the new owner may demote the previous one, and nobody changes their own role", () => {
    const transferred = run(staffed, change(ownerId, "user_ann", "owner", 10))
    expect(refusal(transferred, change("user_ann", "user_ann", "admin", 11))).toMatchObject({ rule: "self" })
    const demoted = run(transferred, change("user_ann", ownerId, "admin", 12))
    expect(members(demoted)).toMatchObject({ [ownerId]: "admin", user_ann: "owner" })
    const removed = run(transferred, remove("user_ann", ownerId, 12))
    expect(members(removed)[ownerId]).toBeUndefined()
  })

  it("given a single owner, when anyone (a master admin included) demotes or removes them, then it is refused: last_owner", () => {
    expect(refusal(staffed, change(masterAdminId, ownerId, "admin", 10))).toMatchObject({
      rule: "last_owner"
    })
    expect(refusal(staffed, remove(masterAdminId, ownerId, 10))).toMatchObject({ rule: "last_owner" })
    expect(refusal(staffed, remove(ownerId, ownerId, 10))).toMatchObject({ rule: "self" })
  })

  it("given an admin, when they grant owner, act on an owner or another admin, or act on themselves, then it is refused", () => {
    const twoAdmins = run(staffed, invite(ownerId, "cy@example.com", "admin", 10), accept("user_cy", 3, 10))
    expect(refusal(twoAdmins, invite("user_ann", "dee@example.com", "owner", 20))).toMatchObject({
      rule: "owner_only"
    })
    expect(refusal(twoAdmins, change("user_ann", "user_bob", "owner", 20))).toMatchObject({
      rule: "owner_only"
    })
    expect(refusal(twoAdmins, remove("user_ann", ownerId, 20))).toMatchObject({ rule: "equal_or_higher" })
    expect(refusal(twoAdmins, remove("user_ann", "user_cy", 20))).toMatchObject({ rule: "equal_or_higher" })
    expect(refusal(twoAdmins, change("user_ann", "user_ann", "viewer", 20))).toMatchObject({ rule: "self" })
    // What an admin may do: grant up to admin, act on lower roles.
    expect(members(run(twoAdmins, change("user_ann", "user_bob", "admin", 20))).user_bob).toBe("admin")
    expect(members(run(twoAdmins, remove("user_ann", "user_bob", 20))).user_bob).toBeUndefined()
  })

  it("given an editor or a non-member, when they manage members, then it is refused: not_admin", () => {
    expect(refusal(staffed, invite("user_bob", "dee@example.com", "viewer", 20))).toMatchObject({
      rule: "not_admin"
    })
    expect(refusal(staffed, remove("user_dee", "user_bob", 20))).toMatchObject({ rule: "not_admin" })
  })

  it("given a pending invite for an email, when that email is invited again, then the same invite is refreshed with a new token and expiry", () => {
    const invited = run(staffed, invite(ownerId, "dee@example.com", "viewer", 10))
    const decision = decide(invite("user_ann", "DEE@example.com".toLowerCase(), "editor", 20), invited)
    expect(Result.isSuccess(decision) && decision.success).toMatchObject([
      { _tag: "InviteRefreshed", inviteId: 3, role: "editor", tokenHash: "hash-20", invitedBy: "user_ann" }
    ])
    const refreshed = run(invited, invite("user_ann", "dee@example.com", "editor", 20))
    // The old token no longer works; the new one does.
    expect(refusal(refreshed, accept("user_dee", 3, 10))).toMatchObject({ _tag: "InviteNotFound" })
    expect(members(run(refreshed, accept("user_dee", 3, 20))).user_dee).toBe("editor")
  })

  it("given a member who joined by invite, when their email is invited again, then it is refused: already a member", () => {
    expect(refusal(staffed, invite(ownerId, "bob@example.com", "viewer", 10))).toMatchObject({
      _tag: "AlreadyMember"
    })
  })

  it("given an invite, when it is used twice, revoked, expired, or taken up with another email, then it is refused with the reason", () => {
    const invited = run(staffed, invite(ownerId, "dee@example.com", "viewer", 10))
    const used = run(invited, accept("user_dee", 3, 10))
    expect(refusal(used, accept("user_cy", 3, 10))).toMatchObject({ _tag: "InviteUnusable", reason: "used" })
    const revoked = run(invited, {
      _tag: "RevokeInvite",
      tenant,
      actor: as(ownerId),
      inviteId: 3,
      at: at(11)
    })
    expect(refusal(revoked, accept("user_dee", 3, 10))).toMatchObject({
      _tag: "InviteUnusable",
      reason: "revoked"
    })
    expect(refusal(invited, { ...accept("user_dee", 3, 10), at: at(1010) })).toMatchObject({
      reason: "expired"
    })
    expect(refusal(invited, accept("user_dee", 3, 10, "other@example.com"))).toMatchObject({
      _tag: "InviteEmailMismatch"
    })
    expect(members(run(invited, accept("user_dee", 3, 10, "dee@example.com"))).user_dee).toBe("viewer")
    expect(refusal(invited, accept("user_bob", 3, 10))).toMatchObject({ _tag: "AlreadyMember" })
  })

  it("given the users in the pools, then the owner is the only member of a fresh tenant", () => {
    expect(members(created)).toEqual({ [ownerId]: "owner" })
    expect(userPool).toContain(masterAdminId)
  })
})
