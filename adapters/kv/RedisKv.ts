import { Effect, Layer } from "effect"
import { createClient } from "redis"
import { Kv, KvError } from "../../application/ports/Kv.ts"

/** Failures name the operation, never the URL (it may carry a password). */
const kvError = (operation: string) => (cause: unknown) =>
  new KvError({
    operation,
    message: `Redis ${operation} failed: ${cause instanceof Error ? cause.message.replace(/redis(s)?:\/\/\S+/g, "redis://…") : "unknown error"}`
  })

/**
 * The edge KV in Redis, where edge workers read it. One client per process, connected
 * for the layer's lifetime; a lost connection is retried with backoff, and commands fail
 * fast meanwhile instead of queueing without bound.
 */
export const make = (url: string, options: { readonly keyPrefix?: string } = {}) =>
  Effect.gen(function* () {
    const prefix = options.keyPrefix ?? ""
    const client = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = createClient({
            url,
            disableOfflineQueue: true,
            socket: {
              connectTimeout: 3000,
              reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 3000)
            }
          })
          // Errors also surface on the commands themselves; this keeps them from crashing the process.
          client.on("error", () => {})
          await Promise.race([
            client.connect(),
            new Promise((_, reject) => setTimeout(() => reject(new Error("connect timed out")), 5000))
          ]).catch((error) => {
            client.destroy()
            throw error
          })
          return client
        },
        catch: kvError("connect")
      }),
      (client) => Effect.promise(() => client.close().catch(() => client.destroy()))
    )

    return Kv.of({
      get: (key) =>
        Effect.tryPromise({ try: () => client.get(prefix + key), catch: kvError("get") }).pipe(
          Effect.map((value) => (value === null ? undefined : String(value)))
        ),
      set: (key, value) =>
        Effect.tryPromise({ try: () => client.set(prefix + key, value), catch: kvError("set") }).pipe(
          Effect.asVoid
        ),
      delete: (key) =>
        Effect.tryPromise({ try: () => client.del(prefix + key), catch: kvError("delete") }).pipe(
          Effect.asVoid
        )
    })
  })

export const layer = (url: string, options: { readonly keyPrefix?: string } = {}) =>
  Layer.effect(Kv, make(url, options))
