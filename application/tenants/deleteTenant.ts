import { Effect } from "effect"
import { edgeKey } from "../config.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { now, type RequestContext } from "./context.ts"
import { runTenantCommand } from "./runTenantCommand.ts"

/**
 * Deletes the tenant: the event frees its slug (inline), the edge projector removes its
 * snapshot, and shredding its data key leaves every secret it sealed unreadable, in
 * the log too.
 */
export const deleteTenant = Effect.fn("deleteTenant")(function* (
  context: RequestContext,
  tenantId: string,
  slug: string
) {
  const box = yield* SecretBox
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () => Effect.succeed({ _tag: "DeleteTenant" as const, at }))
  yield* box.shred(tenantId)
  return { key: edgeKey(slug) }
})
