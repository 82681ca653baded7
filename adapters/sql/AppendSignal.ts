import { Context, Deferred, Effect, Layer } from "effect"

/**
 * Wakes readers of the log when something was appended: by this process directly, by
 * another node through PostgreSQL NOTIFY (see Database.ts). Readers also poll, so a
 * lost signal only delays them.
 */
export class AppendSignal extends Context.Service<
  AppendSignal,
  {
    /**
     * Called by the event store after a local append commits, with the types appended:
     * wakes local readers, moves the generations watching those types, marks news for
     * other nodes.
     */
    readonly appendedOf: (types: ReadonlyArray<string>) => Effect.Effect<void>
    /** `appendedOf` without knowing the types: moves every watched generation. */
    readonly appended: Effect.Effect<void>
    /** Wakes local readers (a notification from another node, which names no types). */
    readonly signal: Effect.Effect<void>
    readonly wait: (timeoutMillis: number) => Effect.Effect<void>
    /** True once per burst of local appends since the last call: whether to tell other nodes. */
    readonly takePendingBroadcast: Effect.Effect<boolean>
    /** Counts the appends this node has heard of; read-model caches compare it to know they are fresh. */
    readonly generation: () => number
    /**
     * A generation that moves only for local appends of `types` (and for every signal
     * from another node): for caches of read models that most appends leave alone.
     */
    readonly watch: (types: ReadonlySet<string>) => () => number
  }
>()("tenantry/adapters/sql/AppendSignal") {
  static readonly layer = Layer.effect(
    AppendSignal,
    Effect.gen(function* () {
      let next = yield* Deferred.make<void>()
      let pendingBroadcast = false
      let generation = 0
      const watchers: Array<{ readonly types: ReadonlySet<string>; generation: number }> = []
      const wake = Effect.suspend(() => {
        generation++
        const current = next
        next = Deferred.makeUnsafe<void>()
        return Deferred.succeed(current, undefined)
      }).pipe(Effect.asVoid)
      const signal = Effect.andThen(
        Effect.sync(() => {
          for (const watcher of watchers) watcher.generation++
        }),
        wake
      )
      const appendedOf = (types: ReadonlyArray<string> | undefined) =>
        Effect.andThen(
          Effect.sync(() => {
            pendingBroadcast = true
            for (const watcher of watchers) {
              if (types === undefined || types.some((type) => watcher.types.has(type))) watcher.generation++
            }
          }),
          wake
        )
      const appended = appendedOf(undefined)
      const takePendingBroadcast = Effect.sync(() => {
        const pending = pendingBroadcast
        pendingBroadcast = false
        return pending
      })
      const wait = (timeoutMillis: number) =>
        Effect.suspend(() => Deferred.await(next)).pipe(Effect.timeoutOption(timeoutMillis), Effect.asVoid)
      const watch = (types: ReadonlySet<string>) => {
        const watcher = { types, generation: 0 }
        watchers.push(watcher)
        return () => watcher.generation
      }
      return AppendSignal.of({
        appended,
        appendedOf,
        signal,
        wait,
        takePendingBroadcast,
        generation: () => generation,
        watch
      })
    })
  )
}
