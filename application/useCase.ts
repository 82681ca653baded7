import { Effect } from "effect"
import type { Role } from "../domain/shared/roles.ts"
import {
  type AccessDenied,
  authorizeTenant,
  authorizeUser,
  type Policy,
  type PrincipalNotAllowed,
  signedIn,
  type TenantAccess,
  tenantRole
} from "./auth/policies.ts"
import type { UserPrincipal } from "./auth/principal.ts"
import type { RequestContext } from "./context.ts"
import type { TenantReadModel } from "./ports/TenantReadModel.ts"

/** A use case on one tenant, named by slug: its policy runs before its body, whoever calls it. */
export interface TenantUseCase<Args extends ReadonlyArray<unknown>, A, E, R> {
  (
    context: RequestContext,
    slug: string,
    ...args: Args
  ): Effect.Effect<A, E | AccessDenied, R | TenantReadModel>
  readonly useCase: string
  readonly policy: Policy
}

/** A use case of a signed-in user, not bound to one tenant. */
export interface UserUseCase<Args extends ReadonlyArray<unknown>, A, E, R> {
  (context: RequestContext, ...args: Args): Effect.Effect<A, E | PrincipalNotAllowed, R>
  readonly useCase: string
  readonly policy: Policy
}

/**
 * Defines a use case on one tenant with its one policy: the caller needs `role` in the
 * tenant (master admins pass; `allowSystem` lets Tenantry's own jobs in). The body gets
 * the access the policy granted, so it cannot run without it.
 */
export const tenantUseCase = <Args extends ReadonlyArray<unknown>, A, E, R>(
  name: string,
  role: Role,
  body: (context: RequestContext, access: TenantAccess, ...args: Args) => Effect.Effect<A, E, R>,
  options: { readonly allowSystem?: boolean } = {}
): TenantUseCase<Args, A, E, R> => {
  const policy = tenantRole(role, options)
  const run = (context: RequestContext, slug: string, ...args: Args) =>
    authorizeTenant(context.principal, slug, policy).pipe(
      Effect.flatMap((access) => body(context, access, ...args)),
      Effect.withSpan(name)
    )
  return Object.assign(run, { useCase: name, policy })
}

/** Defines a use case any signed-in user may run; the body gets the user. */
export const userUseCase = <Args extends ReadonlyArray<unknown>, A, E, R>(
  name: string,
  body: (context: RequestContext, user: UserPrincipal, ...args: Args) => Effect.Effect<A, E, R>
): UserUseCase<Args, A, E, R> => {
  const run = (context: RequestContext, ...args: Args) =>
    authorizeUser(context.principal).pipe(
      Effect.flatMap((user) => body(context, user, ...args)),
      Effect.withSpan(name)
    )
  return Object.assign(run, { useCase: name, policy: signedIn })
}
