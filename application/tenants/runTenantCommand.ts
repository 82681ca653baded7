import { Effect } from "effect"
import { type TenantCommand, type TenantState, tenantStream } from "../../domain/tenant/index.ts"
import { CommandHandler } from "../handleCommand.ts"
import { metadataOf, type RequestContext } from "./context.ts"
import { tenantAggregate } from "./tenantAggregate.ts"

/** Runs a command against one tenant's stream with the caller as the events' actor. */
export const runTenantCommand = <F = never>(
  context: RequestContext,
  tenantId: string,
  toCommand: (state: TenantState) => Effect.Effect<TenantCommand, F>
) =>
  Effect.gen(function* () {
    const handler = yield* CommandHandler
    return yield* handler.handle(
      tenantAggregate,
      { streamId: tenantStream(tenantId), tenantId, metadata: metadataOf(context) },
      toCommand
    )
  })
