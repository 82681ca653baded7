import { Context, type Effect } from "effect"
import type { Role } from "../../domain/shared/roles.ts"
import type { InviteRow } from "../projections/invites.ts"

export interface MemberRow {
  readonly userId: string
  readonly role: Role
}

/** Queries over `tenant_members` and `tenant_invites`. */
export class MembersReadModel extends Context.Service<
  MembersReadModel,
  {
    /** Highest role first, then by user id. */
    readonly members: (tenantId: string) => Effect.Effect<ReadonlyArray<MemberRow>>
    /** Pending invites (expired ones included), oldest first. */
    readonly pendingInvites: (tenantId: string) => Effect.Effect<ReadonlyArray<InviteRow>>
    /** The invite of a live tenant whose current token has this hash. */
    readonly inviteByTokenHash: (tokenHash: string) => Effect.Effect<InviteRow | undefined>
  }
>()("tenantry/application/ports/MembersReadModel") {}
