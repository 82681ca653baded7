import { Context, type Effect, Schema } from "effect"

/** The edge's key-value store was unreachable or refused the operation. */
export class KvError extends Schema.TaggedError<KvError>()("KvError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/** The key-value store edge workers read tenant snapshots from. Values are JSON text. */
export class Kv extends Context.Service<
  Kv,
  {
    readonly get: (key: string) => Effect.Effect<string | undefined, KvError>
    readonly set: (key: string, value: string) => Effect.Effect<void, KvError>
    /** Several keys in one round trip where the store allows; a key listed twice ends with its last value. */
    readonly setMany: (
      entries: ReadonlyArray<readonly [key: string, value: string]>
    ) => Effect.Effect<void, KvError>
    readonly delete: (key: string) => Effect.Effect<void, KvError>
  }
>()("tenantry/application/ports/Kv") {}
