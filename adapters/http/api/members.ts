import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { InviteId } from "../../../domain/membership/index.ts"
import { Email } from "../../../domain/shared/email.ts"
import { UserId } from "../../../domain/shared/ids.ts"
import { Role } from "../../../domain/shared/roles.ts"
import { withExamples } from "./documented.ts"
import { AlreadyExists, Conflict, Forbidden, Gone, NotFound, ValidationFailed } from "./errors.ts"
import { Authentication, SlugParam, TenantScope } from "./security.ts"

const membersPath = "/api/tenants/:slug/members"
const params = { slug: SlugParam }
const changeErrors = [ValidationFailed, Forbidden, NotFound, Conflict]

export const MemberJson = Schema.Struct({ userId: Schema.String, role: Role })

/** A pending invite as admins see it; its token is never shown again. */
export const InviteJson = Schema.Struct({
  id: Schema.Int,
  email: Schema.String,
  role: Role,
  invitedBy: Schema.String,
  expiresAt: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.String
})

export const InviteBody = withExamples(Schema.Struct({ email: Email, role: Role }), [
  { email: "editor@example.com", role: "editor" }
])

/** The invite just made or refreshed, with its token: the only time the token is shown. */
export const InviteCreated = Schema.Struct({
  id: Schema.Int,
  email: Schema.String,
  role: Role,
  token: Schema.String,
  expiresAt: Schema.String,
  createdAt: Schema.String,
  emailSent: Schema.Boolean
})

/** A tenant's members and pending invites (seed: members). Managing them needs admin. */
export class MembersGroup extends HttpApiGroup.make("members")
  .add(
    HttpApiEndpoint.get("listMembers", membersPath, {
      params,
      success: Schema.Struct({ members: Schema.Array(MemberJson), invites: Schema.Array(InviteJson) })
    }).annotate(
      OpenApi.Description,
      "Members, highest role first; pending invites only for admins and owners."
    ),
    HttpApiEndpoint.post("inviteMember", `${membersPath}/invite`, {
      params,
      payload: InviteBody,
      success: InviteCreated,
      error: [ValidationFailed, Forbidden, AlreadyExists, NotFound, Conflict]
    }).annotate(
      OpenApi.Description,
      "Invites an email with a role, or refreshes its pending invite (new token and expiry). Only owners grant owner."
    ),
    HttpApiEndpoint.post("removeMember", `${membersPath}/remove`, {
      params,
      payload: withExamples(Schema.Struct({ userId: UserId }), [{ userId: "user_2f8Qx1" }]),
      success: Schema.Struct({ ok: Schema.Boolean, userId: Schema.String }),
      error: changeErrors
    }).annotate(
      OpenApi.Description,
      "Removes a member: not yourself, not the last owner, not an equal or higher role unless owner."
    ),
    HttpApiEndpoint.post("revokeInvite", `${membersPath}/revoke-invite`, {
      params,
      payload: withExamples(Schema.Struct({ inviteId: InviteId }), [{ inviteId: 1 }]),
      success: Schema.Struct({ ok: Schema.Boolean, inviteId: Schema.Int }),
      error: changeErrors
    }).annotate(OpenApi.Description, "Revokes a pending invite; its token stops working."),
    HttpApiEndpoint.post("updateMemberRole", `${membersPath}/update-role`, {
      params,
      payload: withExamples(Schema.Struct({ userId: UserId, role: Role }), [
        { userId: "user_2f8Qx1", role: "admin" }
      ]),
      success: Schema.Struct({ userId: Schema.String, role: Role, updatedAt: Schema.String }),
      error: changeErrors
    }).annotate(
      OpenApi.Description,
      "Changes a member's role: not your own, owner only from an owner, never leaving the tenant without an owner."
    )
  )
  .middleware(TenantScope)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Members") {}

/** Taking up an invite: any signed-in user holding its token. */
export class InvitesGroup extends HttpApiGroup.make("invites")
  .add(
    HttpApiEndpoint.post("acceptInvite", "/api/invites/accept", {
      payload: Schema.Struct({
        token: Schema.String.pipe(
          Schema.check(
            Schema.isMinLength(1),
            Schema.isMaxCodePoints(512, { expected: "a value with a length of at most 512" })
          ),
          Schema.annotate({ description: "The token from the invite's link." })
        )
      }),
      success: Schema.Struct({ ok: Schema.Boolean, slug: Schema.String, role: Role }),
      error: [ValidationFailed, NotFound, Gone, Forbidden, AlreadyExists, Conflict]
    }).annotate(
      OpenApi.Description,
      "Joins the invite's tenant with its role. When the session carries an email it must be the invited one."
    )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Invites") {}
