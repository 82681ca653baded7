import { describe, expect, it } from "vitest"
import {
  AlreadyMember,
  InviteEmailMismatch,
  InviteNotFound,
  InviteUnusable,
  MemberNotFound,
  type MembershipCommand,
  type MembershipEvent,
  MembershipForbidden,
  membershipDecider,
  roster,
  type TenantFacts
} from "../../../domain/membership/index.ts"
import type { UserId } from "../../../domain/shared/ids.ts"
import type { Role } from "../../../domain/shared/roles.ts"
import { TenantNotFound } from "../../../domain/tenant/index.ts"
import { given } from "../../support/decider.ts"

/**
 * A tenant's members and invites (`members-{tenantId}`), by the rules in
 * domain/membership/decide.ts: only admins and owners manage members (master admins act
 * as owners); nobody grants above their own role, only owners grant owner; nobody acts
 * on themselves; only owners act on an equal or higher role; a tenant keeps an owner.
 * The tenant's creator is an owner until this stream records otherwise.
 */

const creator = "user_creator" as UserId
const ann = "user_ann" as UserId
const bob = "user_bob" as UserId
const dee = "user_dee" as UserId
const master = "user_master" as UserId
const live: TenantFacts = { live: true, creatorId: creator }
const gone: TenantFacts = { live: false, creatorId: creator }

const at = (n: number) => new Date(Date.UTC(2026, 11, 1) + n * 1000).toISOString()
const actor = (userId: UserId) => ({ userId, masterAdmin: userId === master })
const fp = (email: string) => `fp:${email}`

const invite = (by: UserId, email: string, role: Role, n: number, tenant = live): MembershipCommand => ({
  _tag: "InviteMember",
  tenant,
  actor: actor(by),
  sealedEmail: `sealed:${email}`,
  emailFingerprint: fp(email),
  role,
  tokenHash: `hash-${n}`,
  expiresAt: at(n + 1000),
  at: at(n)
})
const invited = (by: UserId, email: string, role: Role, inviteId: number, n: number): MembershipEvent => ({
  _tag: "MemberInvited",
  inviteId,
  sealedEmail: `sealed:${email}`,
  emailFingerprint: fp(email),
  role,
  tokenHash: `hash-${n}`,
  expiresAt: at(n + 1000),
  invitedBy: by,
  at: at(n)
})
const accept = (
  userId: UserId,
  inviteId: number,
  n: number,
  email: string | null = null
): MembershipCommand => ({
  _tag: "AcceptInvite",
  tenant: live,
  actor: actor(userId),
  inviteId,
  tokenHash: `hash-${n}`,
  emailFingerprint: email === null ? null : fp(email),
  at: at(n + 1)
})
const accepted = (userId: UserId, inviteId: number, role: Role, n: number): MembershipEvent => ({
  _tag: "InviteAccepted",
  inviteId,
  userId,
  role,
  at: at(n + 1)
})
const change = (by: UserId, userId: UserId, role: Role, tenant = live): MembershipCommand => ({
  _tag: "ChangeMemberRole",
  tenant,
  actor: actor(by),
  userId,
  role,
  at: at(50)
})
const remove = (by: UserId, userId: UserId, tenant = live): MembershipCommand => ({
  _tag: "RemoveMember",
  tenant,
  actor: actor(by),
  userId,
  at: at(50)
})
const revoke = (by: UserId, inviteId: number): MembershipCommand => ({
  _tag: "RevokeInvite",
  tenant: live,
  actor: actor(by),
  inviteId,
  at: at(50)
})

/** The creator (owner), ann (admin) and bob (editor), both by invite. */
const staffed: ReadonlyArray<MembershipEvent> = [
  invited(creator, "ann@example.com", "admin", 1, 1),
  accepted(ann, 1, "admin", 1),
  invited(creator, "bob@example.com", "editor", 2, 3),
  accepted(bob, 2, "editor", 3)
]
/** …and a pending invite (3) for dee as viewer. */
const deeInvited = [...staffed, invited(creator, "dee@example.com", "viewer", 3, 10)]
const members = (...history: ReadonlyArray<MembershipEvent>) =>
  Object.fromEntries(roster(given(membershipDecider, ...history).state, creator))

describe("The tenant's creator", () => {
  it("given no membership events, then the creator is the only member, an owner, and acts as one", () => {
    expect(members()).toEqual({ [creator]: "owner" })
    given(membershipDecider)
      .when(invite(creator, "ann@example.com", "owner", 1))
      .then(invited(creator, "ann@example.com", "owner", 1, 1))
  })

  it("given another owner, when they demote or remove the creator, then the creator is an owner no more", () => {
    const twoOwners = [
      ...staffed,
      { _tag: "MemberRoleChanged", userId: ann, previousRole: "admin", role: "owner", at: at(20) } as const
    ]
    const demoted = given(membershipDecider, ...twoOwners)
      .when(change(ann, creator, "viewer"))
      .then({
        _tag: "MemberRoleChanged",
        userId: creator,
        previousRole: "owner",
        role: "viewer",
        at: at(50)
      })
    expect(roster(demoted, creator).get(creator)).toBe("viewer")
    const removed = given(membershipDecider, ...twoOwners)
      .when(remove(ann, creator))
      .then({ _tag: "MemberRemoved", userId: creator, role: "owner", at: at(50) })
    expect(roster(removed, creator).has(creator)).toBe(false)
  })

  it("given the creator was removed, when they manage members or are acted on, then they are nobody: not_admin, MemberNotFound", () => {
    const history = [
      ...staffed,
      { _tag: "MemberRoleChanged", userId: ann, previousRole: "admin", role: "owner", at: at(20) } as const,
      { _tag: "MemberRemoved", userId: creator, role: "owner", at: at(30) } as const
    ]
    given(membershipDecider, ...history)
      .when(invite(creator, "dee@example.com", "viewer", 40))
      .thenFails(MembershipForbidden, { rule: "not_admin" })
    given(membershipDecider, ...history)
      .when(remove(ann, creator))
      .thenFails(MemberNotFound, { userId: creator })
  })
})

describe("InviteMember", () => {
  it("given an admin, when they invite a new email, then the invite gets the next id", () => {
    given(membershipDecider, ...staffed)
      .when(invite(ann, "dee@example.com", "admin", 10))
      .then(invited(ann, "dee@example.com", "admin", 3, 10))
  })

  it("given a pending invite for an email, when that email is invited again, then the same invite is refreshed with a new token and expiry", () => {
    given(membershipDecider, ...deeInvited)
      .when(invite(ann, "dee@example.com", "editor", 20))
      .then({
        _tag: "InviteRefreshed",
        inviteId: 3,
        role: "editor",
        tokenHash: "hash-20",
        expiresAt: at(1020),
        invitedBy: ann,
        at: at(20)
      })
  })

  it("given a member who joined by invite, when their email is invited again, then it is refused: AlreadyMember", () => {
    given(membershipDecider, ...staffed)
      .when(invite(creator, "bob@example.com", "viewer", 10))
      .thenFails(AlreadyMember)
  })

  it("given an admin, when they invite an owner, then it is refused: owner_only", () => {
    given(membershipDecider, ...staffed)
      .when(invite(ann, "dee@example.com", "owner", 10))
      .thenFails(MembershipForbidden, { rule: "owner_only" })
  })

  it("given an editor or a non-member, when they invite, then it is refused: not_admin", () => {
    given(membershipDecider, ...staffed)
      .when(invite(bob, "dee@example.com", "viewer", 10))
      .thenFails(MembershipForbidden, { rule: "not_admin" })
    given(membershipDecider, ...staffed)
      .when(invite(dee, "dee@example.com", "viewer", 10))
      .thenFails(MembershipForbidden, { rule: "not_admin" })
  })

  it("given a master admin who is no member, when they invite an owner, then they act as an owner", () => {
    given(membershipDecider, ...staffed)
      .when(invite(master, "dee@example.com", "owner", 10))
      .then(invited(master, "dee@example.com", "owner", 3, 10))
  })
})

describe("RevokeInvite", () => {
  it("given a pending invite, when an admin revokes it, then it is revoked", () => {
    given(membershipDecider, ...deeInvited)
      .when(revoke(ann, 3))
      .then({ _tag: "InviteRevoked", inviteId: 3, at: at(50) })
  })

  it("given an invite to owner, when an admin revokes it, then it is refused: whoever may grant a role may take it back", () => {
    given(membershipDecider, ...staffed, invited(creator, "dee@example.com", "owner", 3, 10))
      .when(revoke(ann, 3))
      .thenFails(MembershipForbidden, { rule: "owner_only" })
  })

  it("given an unknown or an accepted invite, when it is revoked, then it is refused: InviteNotFound", () => {
    given(membershipDecider, ...staffed)
      .when(revoke(creator, 9))
      .thenFails(InviteNotFound)
    given(membershipDecider, ...staffed)
      .when(revoke(creator, 1))
      .thenFails(InviteNotFound)
  })
})

describe("AcceptInvite", () => {
  it("given a pending invite, when it is taken up with its token (and the invited email, if the session has one), then the user joins with its role", () => {
    const joined = given(membershipDecider, ...deeInvited)
      .when(accept(dee, 3, 10))
      .then(accepted(dee, 3, "viewer", 10))
    expect(roster(joined, creator).get(dee)).toBe("viewer")
    given(membershipDecider, ...deeInvited)
      .when(accept(dee, 3, 10, "dee@example.com"))
      .then(accepted(dee, 3, "viewer", 10))
  })

  it("given an invite, when an unknown id or a wrong token is presented, then it is refused: InviteNotFound", () => {
    given(membershipDecider, ...deeInvited)
      .when(accept(dee, 4, 10))
      .thenFails(InviteNotFound)
    given(membershipDecider, ...deeInvited)
      .when(accept(dee, 3, 11))
      .thenFails(InviteNotFound)
  })

  it("given an invite used, revoked or expired, when it is taken up, then it is refused with the reason", () => {
    given(membershipDecider, ...deeInvited, accepted(dee, 3, "viewer", 10))
      .when(accept(bob, 3, 10))
      .thenFails(InviteUnusable, { reason: "used" })
    given(membershipDecider, ...deeInvited, { _tag: "InviteRevoked", inviteId: 3, at: at(11) })
      .when(accept(dee, 3, 10))
      .thenFails(InviteUnusable, { reason: "revoked" })
    given(membershipDecider, ...deeInvited)
      .when({ ...accept(dee, 3, 10), at: at(1010) })
      .thenFails(InviteUnusable, { reason: "expired" })
  })

  it("given an invite, when it is taken up by a session with another email, then it is refused: InviteEmailMismatch", () => {
    given(membershipDecider, ...deeInvited)
      .when(accept(dee, 3, 10, "other@example.com"))
      .thenFails(InviteEmailMismatch)
  })

  it("given a member, when they take up another invite, then it is refused: AlreadyMember", () => {
    given(membershipDecider, ...deeInvited)
      .when(accept(bob, 3, 10))
      .thenFails(AlreadyMember)
    given(membershipDecider, ...deeInvited)
      .when(accept(creator, 3, 10))
      .thenFails(AlreadyMember)
  })
})

describe("ChangeMemberRole and RemoveMember", () => {
  it("given an admin, when they act on a lower role, then the change is recorded with the previous role", () => {
    given(membershipDecider, ...staffed)
      .when(change(ann, bob, "admin"))
      .then({ _tag: "MemberRoleChanged", userId: bob, previousRole: "editor", role: "admin", at: at(50) })
    given(membershipDecider, ...staffed)
      .when(remove(ann, bob))
      .then({ _tag: "MemberRemoved", userId: bob, role: "editor", at: at(50) })
  })

  it("given a member, when they are given the role they hold, then nothing is recorded", () => {
    given(membershipDecider, ...staffed)
      .when(change(creator, bob, "editor"))
      .thenNothing()
  })

  it("given an admin, when they grant owner or act on an equal or higher role, then it is refused", () => {
    given(membershipDecider, ...staffed)
      .when(change(ann, bob, "owner"))
      .thenFails(MembershipForbidden, { rule: "owner_only" })
    given(membershipDecider, ...staffed)
      .when(remove(ann, creator))
      .thenFails(MembershipForbidden, { rule: "equal_or_higher" })
  })

  it("given anyone, when they change or remove themselves, then it is refused: self", () => {
    given(membershipDecider, ...staffed)
      .when(change(ann, ann, "viewer"))
      .thenFails(MembershipForbidden, { rule: "self" })
    given(membershipDecider, ...staffed)
      .when(remove(creator, creator))
      .thenFails(MembershipForbidden, { rule: "self" })
  })

  it("given a single owner, when anyone (a master admin included) demotes or removes them, then it is refused: last_owner", () => {
    given(membershipDecider, ...staffed)
      .when(change(master, creator, "admin"))
      .thenFails(MembershipForbidden, { rule: "last_owner" })
    given(membershipDecider, ...staffed)
      .when(remove(master, creator))
      .thenFails(MembershipForbidden, { rule: "last_owner" })
  })

  it("given someone who is not a member, when they are acted on, then it is refused: MemberNotFound", () => {
    given(membershipDecider, ...staffed)
      .when(change(creator, dee, "viewer"))
      .thenFails(MemberNotFound, { userId: dee })
    given(membershipDecider, ...staffed)
      .when(remove(creator, dee))
      .thenFails(MemberNotFound, { userId: dee })
  })
})

describe("A tenant that is not live", () => {
  it("given a deleted tenant, when any membership command arrives, then it is refused: TenantNotFound", () => {
    for (const command of [
      invite(creator, "dee@example.com", "viewer", 10, gone),
      { ...accept(dee, 3, 10), tenant: gone },
      change(creator, bob, "viewer", gone),
      remove(creator, bob, gone),
      { ...revoke(creator, 3), tenant: gone }
    ]) {
      given(membershipDecider, ...deeInvited)
        .when(command)
        .thenFails(TenantNotFound)
    }
  })
})
