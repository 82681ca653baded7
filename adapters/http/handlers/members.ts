import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { acceptInvite } from "../../../application/members/acceptInvite.ts"
import { inviteMember } from "../../../application/members/inviteMember.ts"
import { listMembers } from "../../../application/members/listMembers.ts"
import { changeMemberRole, removeMember, revokeInvite } from "../../../application/members/manageMembers.ts"
import { Api } from "../api/Api.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

export const MembersHandlers = HttpApiBuilder.group(Api, "members", (handlers) =>
  handlers
    .handle("listMembers", ({ params }) =>
      Effect.flatMap(requestContext, (context) => listMembers(context, params.slug)).pipe(respond)
    )
    .handle("inviteMember", ({ params, payload }) =>
      Effect.flatMap(requestContext, (context) => inviteMember(context, params.slug, payload)).pipe(respond)
    )
    .handle("removeMember", ({ params, payload }) =>
      Effect.gen(function* () {
        const removed = yield* removeMember(yield* requestContext, params.slug, payload.userId)
        return { ok: true, userId: removed.userId }
      }).pipe(respond)
    )
    .handle("revokeInvite", ({ params, payload }) =>
      Effect.gen(function* () {
        const revoked = yield* revokeInvite(yield* requestContext, params.slug, payload.inviteId)
        return { ok: true, inviteId: revoked.inviteId }
      }).pipe(respond)
    )
    .handle("updateMemberRole", ({ params, payload }) =>
      Effect.flatMap(requestContext, (context) => changeMemberRole(context, params.slug, payload)).pipe(
        respond
      )
    )
)

export const InvitesHandlers = HttpApiBuilder.group(Api, "invites", (handlers) =>
  handlers.handle("acceptInvite", ({ payload }) =>
    Effect.gen(function* () {
      const accepted = yield* acceptInvite(yield* requestContext, { token: payload.token })
      return { ok: true, slug: accepted.slug, role: accepted.role }
    }).pipe(respond)
  )
)
