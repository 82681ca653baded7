import fc from "fast-check"
import type {
  CommandActor,
  MembershipCommand,
  MembershipEvent,
  TenantFacts
} from "../../../domain/membership/index.ts"
import { instantArb, opaqueArb, roleArb, sha256HexArb, timed, userIdArb } from "./shared.ts"

/**
 * Commands and events of a tenant's membership (stream `members-{tenantId}`), each field
 * arbitrary: for schema and codec properties. Sequences that meet the same people again
 * and again are in ../membershipArbitraries.ts.
 */

export const inviteIdArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 20 }),
  fc.integer({ min: 1 })
)

export const tenantFactsArb: fc.Arbitrary<TenantFacts> = fc.record({
  live: fc.constantFrom(true, true, true, false),
  creatorId: userIdArb
})

export const commandActorArb: fc.Arbitrary<CommandActor> = fc.record({
  userId: userIdArb,
  masterAdmin: fc.constantFrom(false, false, false, true)
})

const emailFingerprintArb = sha256HexArb
const sealedEmailArb = opaqueArb

export const membershipCommandArb: fc.Arbitrary<MembershipCommand> = fc.oneof(
  timed(
    fc.record({
      _tag: fc.constant("InviteMember" as const),
      tenant: tenantFactsArb,
      actor: commandActorArb,
      sealedEmail: sealedEmailArb,
      emailFingerprint: emailFingerprintArb,
      role: roleArb,
      tokenHash: sha256HexArb,
      expiresAt: instantArb
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("RevokeInvite" as const),
      tenant: tenantFactsArb,
      actor: commandActorArb,
      inviteId: inviteIdArb
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("AcceptInvite" as const),
      tenant: tenantFactsArb,
      actor: commandActorArb,
      inviteId: inviteIdArb,
      tokenHash: sha256HexArb,
      emailFingerprint: fc.option(emailFingerprintArb, { nil: null })
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("ChangeMemberRole" as const),
      tenant: tenantFactsArb,
      actor: commandActorArb,
      userId: userIdArb,
      role: roleArb
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("RemoveMember" as const),
      tenant: tenantFactsArb,
      actor: commandActorArb,
      userId: userIdArb
    })
  )
)

/** Any membership event the schema admits, including ones decide would never emit in that order. */
export const membershipEventArb: fc.Arbitrary<MembershipEvent> = fc.oneof(
  timed(
    fc.record({
      _tag: fc.constant("MemberInvited" as const),
      inviteId: inviteIdArb,
      sealedEmail: sealedEmailArb,
      emailFingerprint: emailFingerprintArb,
      role: roleArb,
      tokenHash: sha256HexArb,
      expiresAt: instantArb,
      invitedBy: userIdArb
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("InviteRefreshed" as const),
      inviteId: inviteIdArb,
      role: roleArb,
      tokenHash: sha256HexArb,
      expiresAt: instantArb,
      invitedBy: userIdArb
    })
  ),
  timed(fc.record({ _tag: fc.constant("InviteRevoked" as const), inviteId: inviteIdArb })),
  timed(
    fc.record({
      _tag: fc.constant("InviteAccepted" as const),
      inviteId: inviteIdArb,
      userId: userIdArb,
      role: roleArb
    })
  ),
  timed(
    fc.record({
      _tag: fc.constant("MemberRoleChanged" as const),
      userId: userIdArb,
      previousRole: roleArb,
      role: roleArb
    })
  ),
  timed(fc.record({ _tag: fc.constant("MemberRemoved" as const), userId: userIdArb, role: roleArb }))
)
