import { Context, Deferred, Effect, Layer, Option } from "effect"

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
     * wakes local readers, moves the generations watching those types, and keeps the
     * types for the next broadcast to other nodes.
     */
    readonly appended: (types: ReadonlyArray<string>) => Effect.Effect<void>
    /**
     * Another node appended: wakes local readers and moves the generations watching
     * `types`, or every generation when the types are unknown.
     */
    readonly signal: (types: ReadonlyArray<string> | undefined) => Effect.Effect<void>
    /** True once something is appended (here or, through NOTIFY, elsewhere); false after `timeoutMillis`. */
    readonly wait: (timeoutMillis: number) => Effect.Effect<boolean>
    /** The types appended here since the last call, if any: what to tell other nodes. */
    readonly takePendingBroadcast: Effect.Effect<ReadonlySet<string> | undefined>
    /** Counts the appends this node has heard of; read-model caches compare it to know they are fresh. */
    readonly generation: () => number
    /**
     * A generation that moves only for appends of `types`, here or on another node: for
     * caches of read models that most appends leave alone.
     */
    readonly watch: (types: ReadonlySet<string>) => () => number
  }
>()("tenantry/adapters/sql/AppendSignal") {
  static readonly layer = Layer.effect(
    AppendSignal,
    Effect.gen(function* () {
      let next = yield* Deferred.make<void>()
      let pending = new Set<string>()
      let generation = 0
      const watchers: Array<{ readonly types: ReadonlySet<string>; generation: number }> = []

      const wake = (types: ReadonlyArray<string> | undefined) =>
        Effect.suspend(() => {
          generation++
          for (const watcher of watchers) {
            if (types === undefined || types.some((type) => watcher.types.has(type))) watcher.generation++
          }
          const current = next
          next = Deferred.makeUnsafe<void>()
          return Deferred.succeed(current, undefined)
        }).pipe(Effect.asVoid)

      const appended = (types: ReadonlyArray<string>) =>
        Effect.andThen(
          Effect.sync(() => {
            for (const type of types) pending.add(type)
          }),
          wake(types)
        )
      const takePendingBroadcast = Effect.sync(() => {
        if (pending.size === 0) return undefined
        const taken = pending
        pending = new Set()
        return taken
      })
      const wait = (timeoutMillis: number) =>
        Effect.suspend(() => Deferred.await(next)).pipe(
          Effect.timeoutOption(timeoutMillis),
          Effect.map(Option.isSome)
        )
      const watch = (types: ReadonlySet<string>) => {
        const watcher = { types, generation: 0 }
        watchers.push(watcher)
        return () => watcher.generation
      }
      return AppendSignal.of({
        appended,
        signal: wake,
        wait,
        takePendingBroadcast,
        generation: () => generation,
        watch
      })
    })
  )
}
