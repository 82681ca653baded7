import { Context, type Effect } from "effect"
import type { Role } from "../../domain/shared/roles.ts"
import type { TenantView } from "../projections/tenantView.ts"

export interface TenantWithRole {
  readonly view: TenantView
  /** The caller's role, or null when they are not a member. */
  readonly role: Role | null
}

/** Queries over the inline read models (`tenants`, `tenant_members`). */
export class TenantReadModel extends Context.Service<
  TenantReadModel,
  {
    /** The live tenant with this slug and the user's role in it, in one read. */
    readonly bySlugForUser: (slug: string, userId: string) => Effect.Effect<TenantWithRole | undefined>
    readonly bySlug: (slug: string) => Effect.Effect<TenantView | undefined>
    readonly byId: (tenantId: string) => Effect.Effect<TenantView | undefined>
    /** The live tenants having any of these ids or holding any of these slugs, in one read. */
    readonly liveAmong: (keys: {
      readonly tenantIds: ReadonlyArray<string>
      readonly slugs: ReadonlyArray<string>
    }) => Effect.Effect<ReadonlyArray<TenantView>>
    /** Every live tenant the user belongs to, oldest first. */
    readonly listForUser: (
      userId: string
    ) => Effect.Effect<ReadonlyArray<{ readonly view: TenantView; readonly role: Role }>>
    readonly countOwnedBy: (userId: string) => Effect.Effect<number>
  }
>()("tenantry/application/ports/TenantReadModel") {}
