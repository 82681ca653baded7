import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Config } from "../../../application/config.ts"
import type { ConcurrencyConflict } from "../../../application/handleCommand.ts"
import { acceptInvite } from "../../../application/members/acceptInvite.ts"
import { inviteMember } from "../../../application/members/inviteMember.ts"
import { listMembers } from "../../../application/members/listMembers.ts"
import { changeMemberRole, removeMember, revokeInvite } from "../../../application/members/manageMembers.ts"
import type { UniqueKeyTaken } from "../../../application/ports/EventStore.ts"
import { hasRole } from "../../../domain/shared/roles.ts"
import type { MembershipError, MembershipRule, TenantNotFound } from "../../../domain/tenant/index.ts"
import { Api } from "../api/Api.ts"
import { AlreadyExists, Conflict, Forbidden, Gone, InsufficientRole, NotFound } from "../api/errors.ts"
import { CurrentTenant, CurrentUser } from "../api/security.ts"
import { userRequestContext } from "./requestContext.ts"

const ruleMessages: Record<MembershipRule, string> = {
  not_admin: "Managing members needs the admin role or higher",
  owner_only: "Only owners can grant the owner role",
  above_own_role: "You cannot grant a role above your own",
  self: "You cannot change your own role or remove yourself",
  equal_or_higher: "Only owners can act on members whose role is equal to or higher than yours",
  last_owner: "A tenant must keep at least one owner"
}

type MembershipFailure = TenantNotFound | MembershipError | ConcurrencyConflict | UniqueKeyTaken
type HttpFailure = NotFound | Forbidden | InsufficientRole | AlreadyExists | Gone | Conflict

/** How membership refusals read over HTTP. */
const membershipErrors =
  (inviteNotFound = "No pending invite has this id") =>
  <A, R>(effect: Effect.Effect<A, MembershipFailure, R>): Effect.Effect<A, HttpFailure, R> =>
    Effect.catch(effect, (error): Effect.Effect<never, HttpFailure> => {
      switch (error._tag) {
        case "TenantNotFound":
          return Effect.fail(new NotFound({ message: "The tenant no longer exists" }))
        case "MembershipForbidden":
          return error.rule === "not_admin"
            ? Effect.fail(new InsufficientRole({ message: ruleMessages.not_admin, requiredRole: "admin" }))
            : Effect.fail(new Forbidden({ message: ruleMessages[error.rule] }))
        case "MemberNotFound":
          return Effect.fail(new NotFound({ message: `"${error.userId}" is not a member of this tenant` }))
        case "InviteNotFound":
          return Effect.fail(new NotFound({ message: inviteNotFound }))
        case "AlreadyMember":
          return Effect.fail(new AlreadyExists({ message: "That person is already a member of this tenant" }))
        case "InviteUnusable":
          return Effect.fail(
            new Gone({
              message: `This invite was ${error.reason === "used" ? "already used" : error.reason}`,
              reason: error.reason
            })
          )
        case "InviteEmailMismatch":
          return Effect.fail(new Forbidden({ message: "This invite was sent to another email address" }))
        case "ConcurrencyConflict":
          return Effect.fail(new Conflict({ message: "The tenant kept changing under this request; retry" }))
        // Membership events touch no unique key.
        case "UniqueKeyTaken":
          return Effect.die(error)
      }
    })

/** Managing members never meets an accepted invite's refusals: the decider does not give them there. */
const manageErrors = <A, R>(effect: Effect.Effect<A, MembershipFailure, R>) =>
  membershipErrors()(effect).pipe(Effect.catchTag("Gone", Effect.die))

/** Removing, revoking and changing roles never meet "already a member". */
const changeErrors = <A, R>(effect: Effect.Effect<A, MembershipFailure, R>) =>
  manageErrors(effect).pipe(Effect.catchTag("AlreadyExists", Effect.die))

export const MembersHandlers = HttpApiBuilder.group(Api, "members", (handlers) =>
  Effect.gen(function* () {
    const config = yield* Config
    return handlers
      .handle("listMembers", () =>
        Effect.gen(function* () {
          const access = yield* CurrentTenant
          const user = yield* CurrentUser
          const manages = hasRole(access.role, "admin") || config.masterAdminUserIds.has(user.userId)
          return yield* listMembers(access.tenant.tenantId, manages)
        })
      )
      .handle("inviteMember", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* inviteMember(yield* userRequestContext, tenant, payload).pipe(manageErrors)
        })
      )
      .handle("removeMember", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const removed = yield* removeMember(
            yield* userRequestContext,
            tenant.tenantId,
            payload.userId
          ).pipe(changeErrors)
          return { ok: true, userId: removed.userId }
        })
      )
      .handle("revokeInvite", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          const revoked = yield* revokeInvite(
            yield* userRequestContext,
            tenant.tenantId,
            payload.inviteId
          ).pipe(changeErrors)
          return { ok: true, inviteId: revoked.inviteId }
        })
      )
      .handle("updateMemberRole", ({ payload }) =>
        Effect.gen(function* () {
          const { tenant } = yield* CurrentTenant
          return yield* changeMemberRole(yield* userRequestContext, tenant.tenantId, payload).pipe(
            changeErrors
          )
        })
      )
  })
)

export const InvitesHandlers = HttpApiBuilder.group(Api, "invites", (handlers) =>
  handlers.handle("acceptInvite", ({ payload }) =>
    Effect.gen(function* () {
      const user = yield* CurrentUser
      const accepted = yield* acceptInvite(yield* userRequestContext, {
        token: payload.token,
        sessionEmail: user.email
      }).pipe(
        membershipErrors("No invite has this token (a refreshed invite's old token stops working)"),
        Effect.catchTag("InsufficientRole", Effect.die)
      )
      return { ok: true, slug: accepted.slug, role: accepted.role }
    })
  )
)
