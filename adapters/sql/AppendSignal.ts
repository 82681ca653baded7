import { Context, Deferred, Effect, Layer, Option } from "effect"

/**
 * How long a cache of database state may keep an answer when no signal has moved it: the
 * backstop for a signal that never arrives (another node's NOTIFY lost while this node's
 * LISTEN was down or silently cut, or a table rewritten outside the log, as the CLI's
 * `replay` does). A few seconds: a removed member, a deleted webhook or a shredded key
 * stays usable on another node for at most this long even then.
 */
export const defaultCacheTtlMillis = 5_000

/** When a cached answer was read: taken before the query, so an append racing it leaves it stale. */
export interface Stamp {
  readonly generation: number
  readonly at: number
}

/** The freshness of one cache: whether an answer stamped earlier may still be used. */
export interface Freshness {
  /** Take it before the query whose answer is kept. */
  readonly stamp: () => Stamp
  /**
   * True while nothing the cache watches was appended since `stamp` (here, or on another
   * node as far as its NOTIFY was heard) and the answer is younger than the TTL.
   */
  readonly isFresh: (stamp: Stamp) => boolean
}

/**
 * Wakes readers of the log when something was appended: by this process directly, by
 * another node through PostgreSQL NOTIFY (see Database.ts). Readers also poll, so a
 * lost signal only delays them; caches also expire (`cacheTtlMillis`), so a lost signal
 * only keeps them stale that long.
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
     * `types`, or every generation when the types are unknown (a payload cut short, or
     * a LISTEN (re)started after a time of not hearing anything).
     */
    readonly signal: (types: ReadonlyArray<string> | undefined) => Effect.Effect<void>
    /** True once something is appended (here or, through NOTIFY, elsewhere); false after `timeoutMillis`. */
    readonly wait: (timeoutMillis: number) => Effect.Effect<boolean>
    /** The types appended here since the last call, if any: what to tell other nodes. */
    readonly takePendingBroadcast: Effect.Effect<ReadonlySet<string> | undefined>
    /** Counts the appends this node has heard of. */
    readonly generation: () => number
    /**
     * A generation that moves only for appends of `types`, here or on another node: for
     * caches of read models that most appends leave alone.
     */
    readonly watch: (types: ReadonlySet<string>) => () => number
    /**
     * For a cache of database state: answers stay fresh until an append of `types` (of
     * anything when omitted) is heard, and at most `cacheTtlMillis`.
     */
    readonly freshness: (types?: ReadonlySet<string>) => Freshness
    readonly cacheTtlMillis: number
  }
>()("tenantry/adapters/sql/AppendSignal") {
  static readonly layerWith = (options: { readonly cacheTtlMillis?: number | undefined } = {}) =>
    Layer.effect(
      AppendSignal,
      Effect.gen(function* () {
        const cacheTtlMillis = options.cacheTtlMillis ?? defaultCacheTtlMillis
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
        // Monotonic: a wall clock set back would stretch every TTL.
        const freshness = (types?: ReadonlySet<string>): Freshness => {
          const current = types === undefined ? () => generation : watch(types)
          return {
            stamp: () => ({ generation: current(), at: performance.now() }),
            isFresh: (stamp) =>
              stamp.generation === current() && performance.now() - stamp.at < cacheTtlMillis
          }
        }
        return AppendSignal.of({
          appended,
          signal: wake,
          wait,
          takePendingBroadcast,
          generation: () => generation,
          watch,
          freshness,
          cacheTtlMillis
        })
      })
    )

  static readonly layer = AppendSignal.layerWith()
}
