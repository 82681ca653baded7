import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { AppendSignal } from "../../adapters/sql/AppendSignal.ts"

const ttlMillis = 100

const withSignal = <A>(use: (signal: AppendSignal["Service"]) => Effect.Effect<A>) =>
  Effect.runPromise(
    Effect.flatMap(AppendSignal, use).pipe(
      Effect.provide(AppendSignal.layerWith({ cacheTtlMillis: ttlMillis }))
    )
  )

describe("AppendSignal freshness", () => {
  it("given answers stamped before their queries, then each stays fresh until an append of a type its cache watches (here or heard from another node), or until the TTL when nothing is heard", () =>
    withSignal((signal) =>
      Effect.gen(function* () {
        const webhooks = signal.freshness(new Set(["WebhookThing"]))
        const everything = signal.freshness()
        const [webhookAnswer, anyAnswer] = [webhooks.stamp(), everything.stamp()]
        yield* signal.appended(["SomethingElse"])
        expect(webhooks.isFresh(webhookAnswer), "an unwatched type leaves it").toBe(true)
        expect(everything.isFresh(anyAnswer), "a cache of everything moves with any append").toBe(false)
        yield* signal.signal(["WebhookThing"])
        expect(webhooks.isFresh(webhookAnswer), "another node's append of a watched type").toBe(false)

        const beforeRestart = webhooks.stamp()
        yield* signal.signal(undefined)
        expect(webhooks.isFresh(beforeRestart), "a LISTEN (re)started: nothing is fresh").toBe(false)

        const quiet = webhooks.stamp()
        expect(webhooks.isFresh(quiet)).toBe(true)
        yield* Effect.sleep(ttlMillis + 20)
        expect(webhooks.isFresh(quiet), "nothing heard, but older than the TTL").toBe(false)
      })
    ))
})
