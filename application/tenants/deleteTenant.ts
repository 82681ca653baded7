import { Effect } from "effect"
import { tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { edgeKey } from "../config.ts"
import { now } from "../context.ts"
import { runCommand } from "../runCommand.ts"
import { tenantUseCase } from "../useCase.ts"

/**
 * Deletes the tenant: the event frees its slug and shreds its data key (inline, in the
 * append's transaction: every secret it sealed is unreadable, in the log too), and the
 * edge projector removes its snapshot.
 */
export const deleteTenant = tenantUseCase("deleteTenant", "owner", (context, access) =>
  Effect.gen(function* () {
    const { tenantId, slug } = access.tenant
    const at = yield* now
    yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, () =>
      Effect.succeed({ _tag: "DeleteTenant" as const, at })
    )
    return { key: edgeKey(slug) }
  })
)
