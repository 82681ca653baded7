import { Effect } from "effect"
import {
  type MembershipCommand,
  type MembershipError,
  type TenantAlreadyExists,
  type TenantCommand,
  type TenantEvent,
  type TenantNotFound,
  type TenantState,
  tenantStream,
  type WebhookCommand,
  type WebhookNotFound
} from "../../domain/tenant/index.ts"
import { CommandHandler, type ConcurrencyConflict, type Handled } from "../handleCommand.ts"
import type { UniqueKeyTaken } from "../ports/EventStore.ts"
import { metadataOf, type RequestContext } from "./context.ts"
import { tenantAggregate } from "./tenantAggregate.ts"

/** What a command can be refused with: membership rules only bind membership commands. */
export type RefusalOf<C extends TenantCommand> = C extends MembershipCommand
  ? TenantNotFound | MembershipError
  : C extends WebhookCommand
    ? TenantNotFound | TenantAlreadyExists | WebhookNotFound
    : TenantNotFound | TenantAlreadyExists

/** Runs a command against one tenant's stream with the caller as the events' actor. */
export const runTenantCommand = <C extends TenantCommand, F = never>(
  context: RequestContext,
  tenantId: string,
  toCommand: (state: TenantState) => Effect.Effect<C, F>
) =>
  Effect.gen(function* () {
    const handler = yield* CommandHandler
    return yield* handler.handle(
      tenantAggregate,
      { streamId: tenantStream(tenantId), tenantId, metadata: metadataOf(context) },
      toCommand
    )
    // The decider refuses each command only with its own rules' failures (decide.ts).
  }) as Effect.Effect<
    Handled<TenantEvent, TenantState>,
    RefusalOf<C> | F | ConcurrencyConflict | UniqueKeyTaken,
    CommandHandler
  >
