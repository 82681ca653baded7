import { Context, Deferred, Effect, Layer } from "effect"

/**
 * Wakes readers of the log when something was appended: by this process directly,
 * by another node through PostgreSQL NOTIFY (see PgNotifications). Readers also poll,
 * so a lost signal only delays them.
 */
export class AppendSignal extends Context.Service<
  AppendSignal,
  { readonly signal: Effect.Effect<void>; readonly wait: (timeoutMillis: number) => Effect.Effect<void> }
>()("tenantry/adapters/sql/AppendSignal") {
  static readonly layer = Layer.effect(
    AppendSignal,
    Effect.gen(function* () {
      let next = yield* Deferred.make<void>()
      const signal = Effect.suspend(() => {
        const current = next
        next = Deferred.makeUnsafe<void>()
        return Deferred.succeed(current, undefined)
      }).pipe(Effect.asVoid)
      const wait = (timeoutMillis: number) =>
        Effect.suspend(() => Deferred.await(next)).pipe(Effect.timeoutOption(timeoutMillis), Effect.asVoid)
      return AppendSignal.of({ signal, wait })
    })
  )
}
