import { Effect } from "effect"
import type { MembershipCommand, MembershipState } from "../../domain/membership/index.ts"
import { type CommandActor, membershipStream, type TenantFacts } from "../../domain/membership/index.ts"
import type { UserId } from "../../domain/shared/ids.ts"
import type { TenantState } from "../../domain/tenant/index.ts"
import { membershipAggregate } from "../aggregates.ts"
import { actorOf, type Principal } from "../auth/principal.ts"
import type { RequestContext } from "../context.ts"
import type { CommandContext } from "../handleCommand.ts"
import { readTenant, runCommand } from "../runCommand.ts"

/**
 * The caller as a membership command's actor: master admins act as owners. Tenant
 * policies hand membership use cases users only; any other principal would be a
 * non-member here, whom the rules refuse.
 */
export const commandActor = (principal: Principal): CommandActor =>
  principal._tag === "User"
    ? { userId: principal.userId, masterAdmin: principal.masterAdmin }
    : { userId: actorOf(principal).id as UserId, masterAdmin: false }

const factsOf = (tenant: TenantState): TenantFacts =>
  tenant.status === "active"
    ? { live: true, creatorId: tenant.creatorId }
    : // A tenant that is gone has no members; whom it was created by no longer matters.
      { live: false, creatorId: "" as TenantFacts["creatorId"] }

/**
 * Runs a membership command on the tenant's members stream. The command is made with
 * the tenant's facts (live, creator) read from its own stream, which guards the append.
 */
export const runMembershipCommand = <C extends MembershipCommand, F = never>(
  context: RequestContext,
  tenantId: string,
  toCommand: (tenant: TenantFacts, state: MembershipState) => Effect.Effect<C, F>
) =>
  runCommand(
    membershipAggregate,
    { streamId: membershipStream(tenantId), tenantId },
    context,
    (state, read: CommandContext) =>
      Effect.flatMap(readTenant(read, tenantId), (tenant) => toCommand(factsOf(tenant), state))
  )
