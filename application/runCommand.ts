import { Effect } from "effect"
import { type TenantState, tenantStream } from "../domain/tenant/index.ts"
import { tenantAggregate } from "./aggregates.ts"
import { metadataOf, type RequestContext } from "./context.ts"
import { type Aggregate, type CommandContext, CommandHandler } from "./handleCommand.ts"

/**
 * Runs a command against one stream of any aggregate, with the caller as its events'
 * actor: the one way use cases change anything. `toCommand` sees the stream's current
 * state and may read other aggregates through `context.read` (which guards the append).
 */
export const runCommand = <C, E extends { readonly _tag: string }, S, F, F2 = never>(
  aggregate: Aggregate<C, E, S, F>,
  target: { readonly streamId: string; readonly tenantId: string },
  context: RequestContext,
  toCommand: (state: S, commandContext: CommandContext) => Effect.Effect<C, F2>
) =>
  Effect.flatMap(Effect.service(CommandHandler), (handler) =>
    handler.handle(aggregate, { ...target, metadata: metadataOf(context) }, toCommand)
  )

/** The tenant's state as a command on another of its streams relies on it (guarded). */
export const readTenant = (commandContext: CommandContext, tenantId: string): Effect.Effect<TenantState> =>
  commandContext.read(tenantAggregate, tenantStream(tenantId))
