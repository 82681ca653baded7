import { Effect } from "effect"
import { TenantNotFound } from "../../domain/tenant/index.ts"
import type { SecretShredded } from "../ports/SecretBox.ts"

/**
 * A seal, open or fingerprint that lost the race with the tenant's deletion (its access was
 * checked, then the deletion committed and shredded the key): the tenant is gone, as the
 * command would have found it, so the caller gets 404 `tenant_not_found`, never a 500.
 */
export const orTenantGone = <A, R>(
  effect: Effect.Effect<A, SecretShredded, R>
): Effect.Effect<A, TenantNotFound, R> =>
  effect.pipe(Effect.catchTag("SecretShredded", () => Effect.fail(new TenantNotFound())))
