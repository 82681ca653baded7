import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { Kv } from "../../application/ports/Kv.ts"

const unique = () => Math.random().toString(36).slice(2, 10)

/** What every edge KV must do, files or Redis. Run once per implementation. */
export const kvContract = <E>(name: string, kv: Layer.Layer<Kv, E>) =>
  layer(kv, { excludeTestServices: true, timeout: 60_000 })(`Kv contract: ${name}`, (it) => {
    it.effect("given a value set, when getting it, then it comes back; an unknown key is undefined", () =>
      Effect.gen(function* () {
        const store = yield* Kv
        const key = `proxy:${unique()}`
        assert.isUndefined(yield* store.get(key))
        yield* store.set(key, '{"slug":"acme"}')
        assert.strictEqual(yield* store.get(key), '{"slug":"acme"}')
      })
    )

    it.effect(
      "given a value, when overwritten and then deleted, then the newest value wins and then nothing",
      () =>
        Effect.gen(function* () {
          const store = yield* Kv
          const key = `proxy:${unique()}`
          yield* store.set(key, "one")
          yield* store.set(key, "two")
          assert.strictEqual(yield* store.get(key), "two")
          yield* store.delete(key)
          assert.isUndefined(yield* store.get(key))
          yield* store.delete(key)
        })
    )

    it.effect("given awkward keys, then each stays its own entry and none escapes the store", () =>
      Effect.gen(function* () {
        const store = yield* Kv
        const id = unique()
        const keys = [
          `proxy:${id}`,
          `../../${id}/etc/passwd`,
          `a/b\\c:${id}`,
          `.${id}`,
          `..${id}`,
          `ünïcødé-✓-${id}`,
          `${id}-${"k".repeat(150)}`
        ]
        yield* Effect.forEach(keys, (key, index) => store.set(key, `value-${index}`), { discard: true })
        const values = yield* Effect.forEach(keys, (key) => store.get(key))
        assert.deepStrictEqual(
          values,
          keys.map((_, index) => `value-${index}`)
        )
        yield* Effect.forEach(keys, (key) => store.delete(key), { discard: true })
      })
    )

    it.effect("given many concurrent writes of one key, then it ends holding one of them whole", () =>
      Effect.gen(function* () {
        const store = yield* Kv
        const key = `proxy:${unique()}`
        const values = Array.from({ length: 40 }, (_, i) =>
          JSON.stringify({ writer: i, pad: "x".repeat(20_000 + i) })
        )
        yield* Effect.forEach(values, (value) => store.set(key, value), {
          concurrency: "unbounded",
          discard: true
        })
        const final = yield* store.get(key)
        assert.isTrue(values.includes(final ?? ""), "a torn or mixed value")
      })
    )

    it.effect("given concurrent writes of different keys and a 1 MiB value, then all land", () =>
      Effect.gen(function* () {
        const store = yield* Kv
        const id = unique()
        const keys = Array.from({ length: 50 }, (_, i) => `proxy:${id}-${i}`)
        yield* Effect.forEach(keys, (key) => store.set(key, key), { concurrency: "unbounded", discard: true })
        const values = yield* Effect.forEach(keys, (key) => store.get(key), { concurrency: 10 })
        assert.deepStrictEqual(values, keys)
        const big = "b".repeat(1024 * 1024)
        yield* store.set(`proxy:${id}-big`, big)
        assert.strictEqual((yield* store.get(`proxy:${id}-big`))?.length, big.length)
      })
    )
  })
