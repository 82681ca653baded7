import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import fc from "fast-check"
import { type Aggregate, CommandHandler } from "../../application/handleCommand.ts"
import type { EventMetadata, EventStore } from "../../application/ports/EventStore.ts"
import { tenantAggregate } from "../../application/tenants/tenantAggregate.ts"
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

/** The tenant aggregate with another snapshot policy. */
export const tenantAggregateWith = (
  overrides: Partial<Pick<TenantAggregate, "snapshotEvery" | "stateVersion">>
) => ({ ...tenantAggregate, ...overrides }) satisfies TenantAggregate

/** Runs one command against a tenant's stream through the real CommandHandler. */
export const handleTenantCommand = (
  tenantId: string,
  command: TenantCommand,
  aggregate: TenantAggregate = tenantAggregate
) =>
  Effect.gen(function* () {
    const handler = yield* CommandHandler
    return yield* handler.handle(
      aggregate,
      { streamId: tenantStream(tenantId), tenantId, metadata: testMetadata },
      () => Effect.succeed(command)
    )
  })

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
