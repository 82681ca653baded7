import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import fc from "fast-check"
import { tenantAggregate } from "../../application/aggregates.ts"
import { type Aggregate, type CommandContext, CommandHandler } from "../../application/handleCommand.ts"
import type { EventMetadata, EventStore } from "../../application/ports/EventStore.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import {
  type TenantCommand,
  type TenantError,
  type TenantEvent,
  type TenantState,
  tenantStream
} from "../../domain/tenant/index.ts"
import type { DatabaseTarget } from "./databases.ts"
import { storageLayer } from "./storage.ts"

/** The real command handler over a fresh database of the target, with the event store and SQL beside it. */
export const handlerLayer = (
  target: DatabaseTarget
): Layer.Layer<CommandHandler | EventStore | SqlClient.SqlClient, unknown> =>
  Layer.provideMerge(CommandHandler.layer, storageLayer(target))

export const testMetadata: EventMetadata = { actor: { type: "system", id: "property-test" } }

export type TenantAggregate = Aggregate<TenantCommand, TenantEvent, TenantState, TenantError>

/** An aggregate with another snapshot policy. */
export const withSnapshotPolicy = <C, E extends { readonly _tag: string }, S, F>(
  aggregate: Aggregate<C, E, S, F>,
  overrides: Partial<Pick<Aggregate<C, E, S, F>, "snapshotEvery" | "stateVersion">>
): Aggregate<C, E, S, F> => ({ ...aggregate, ...overrides })

/**
 * Runs one command against a stream of any aggregate through the real CommandHandler.
 * The command is a value, or made from the stream's state and the command context (whose
 * reads of other streams guard the append), as use cases make theirs.
 */
export const handleCommandOn = <C, E extends { readonly _tag: string }, S, F>(
  aggregate: Aggregate<C, E, S, F>,
  target: { readonly streamId: string; readonly tenantId: string },
  command: C | ((state: S, context: CommandContext) => Effect.Effect<C>),
  metadata: EventMetadata = testMetadata
) =>
  Effect.gen(function* () {
    const handler = yield* CommandHandler
    return yield* handler.handle(aggregate, { ...target, metadata }, (state, context) =>
      typeof command === "function"
        ? (command as (state: S, context: CommandContext) => Effect.Effect<C>)(state, context)
        : Effect.succeed(command)
    )
  })

/** Runs one command against a tenant's stream through the real CommandHandler. */
export const handleTenantCommand = (
  tenantId: string,
  command: TenantCommand,
  aggregate: TenantAggregate = tenantAggregate
) => handleCommandOn(aggregate, { streamId: tenantStream(tenantId), tenantId }, command)

let counter = 0
/** A tag unique within this process and unlikely elsewhere: keeps runs sharing one database apart. */
export const uniqueTag = (): string =>
  `${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`.replace(/[^a-z0-9]/g, "")

/** A tenant id no other run uses. */
export const uniqueTenantId = (): TenantId => `tnt_${uniqueTag().padEnd(10, "0")}` as TenantId

type Services = CommandHandler | EventStore | SqlClient.SqlClient

/**
 * A fast-check async property whose body is an Effect on the test's services (the
 * layer shared by the file), so runs and shrinking happen against the real database.
 */
export const assertProperty = <A>(
  arbitrary: fc.Arbitrary<A>,
  body: (value: A) => Effect.Effect<void, unknown, Services>,
  numRuns: number
) =>
  Effect.gen(function* () {
    const run = Effect.runPromiseWith(yield* Effect.context<Services>())
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(arbitrary, (value) => run(body(value))),
        { numRuns }
      )
    )
  })
