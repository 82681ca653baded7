import { Context, Deferred, Effect, Layer } from "effect"

/**
 * Wakes readers of the log when something was appended: by this process directly, by
 * another node through PostgreSQL NOTIFY (see Database.ts). Readers also poll, so a
 * lost signal only delays them.
 */
export class AppendSignal extends Context.Service<
  AppendSignal,
  {
    /** Called by the event store after a local append: wakes local readers, marks news for other nodes. */
    readonly appended: Effect.Effect<void>
    /** Wakes local readers (a notification from another node). */
    readonly signal: Effect.Effect<void>
    readonly wait: (timeoutMillis: number) => Effect.Effect<void>
    /** True once per burst of local appends since the last call: whether to tell other nodes. */
    readonly takePendingBroadcast: Effect.Effect<boolean>
    /** Counts the appends this node has heard of; read-model caches compare it to know they are fresh. */
    readonly generation: () => number
  }
>()("tenantry/adapters/sql/AppendSignal") {
  static readonly layer = Layer.effect(
    AppendSignal,
    Effect.gen(function* () {
      let next = yield* Deferred.make<void>()
      let pendingBroadcast = false
      let generation = 0
      const signal = Effect.suspend(() => {
        generation++
        const current = next
        next = Deferred.makeUnsafe<void>()
        return Deferred.succeed(current, undefined)
      }).pipe(Effect.asVoid)
      const appended = Effect.andThen(
        Effect.sync(() => {
          pendingBroadcast = true
        }),
        signal
      )
      const takePendingBroadcast = Effect.sync(() => {
        const pending = pendingBroadcast
        pendingBroadcast = false
        return pending
      })
      const wait = (timeoutMillis: number) =>
        Effect.suspend(() => Deferred.await(next)).pipe(Effect.timeoutOption(timeoutMillis), Effect.asVoid)
      return AppendSignal.of({ appended, signal, wait, takePendingBroadcast, generation: () => generation })
    })
  )
}
