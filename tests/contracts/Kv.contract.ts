import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, type Layer } from "effect"
import { Kv } from "../../application/ports/Kv.ts"

const unique = () => Math.random().toString(36).slice(2, 10)

/** Keys that break naive file names or collide under naive encodings; each must stay its own entry. */
const awkwardKeys = [
  "proxy:acme",
  "proxy%3Aacme",
  "proxy%3aacme",
  "Proxy:Acme",
  "../../etc/passwd",
  "..",
  ".",
  ".tmp-x",
  "a/b\\c",
  "a/b",
  "a%2Fb",
  "a\\b",
  "",
  " ",
  "\u0000",
  "k".repeat(300),
  `${"k".repeat(299)}j`,
  "ünïcødé ✓ 🚀 租户",
  "e\u0301", // "é" decomposed: a normalising file system must not fold it into the composed one
  "\u00e9"
]

/** Runs `use` with a store and deletes every key it touched afterwards, passed or failed. */
const withKeys = <A, E>(keys: ReadonlyArray<string>, use: (store: Kv["Service"]) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const store = yield* Kv
    return yield* use(store).pipe(
      Effect.ensuring(Effect.forEach(keys, (key) => Effect.ignore(store.delete(key)), { discard: true }))
    )
  })

/**
 * What every edge KV must do, files or Redis. Run once per implementation
 * (see FileKv.int.test.ts, RedisKv.int.test.ts); the layer must give each run its own
 * namespace (a fresh directory, a unique key prefix).
 */
export const kvContract = <E>(name: string, kv: Layer.Layer<Kv, E>) =>
  layer(kv, { excludeTestServices: true, timeout: 60_000 })(`Kv contract: ${name}`, (it) => {
    it.effect(
      "given several entries, one key listed twice and an empty list, when set together, then each key holds its value, the repeated one its last, and the empty list changes nothing",
      () => {
        const keys = [`proxy:many-a-${unique()}`, `proxy:many-b-${unique()}`, `proxy:many-c-${unique()}`]
        return withKeys(keys, (store) =>
          Effect.gen(function* () {
            yield* store.set(keys[2]!, "before")
            yield* store.setMany([
              [keys[0]!, '{"a":1}'],
              [keys[1]!, '{"b":1}'],
              [keys[0]!, '{"a":2}']
            ])
            yield* store.setMany([])
            assert.strictEqual(yield* store.get(keys[0]!), '{"a":2}')
            assert.strictEqual(yield* store.get(keys[1]!), '{"b":1}')
            assert.strictEqual(yield* store.get(keys[2]!), "before")
          })
        )
      }
    )

    it.effect(
      "given a key never set, when getting it, then undefined; when deleting it, then no error",
      () => {
        const key = `proxy:missing-${unique()}`
        return withKeys([key], (store) =>
          Effect.gen(function* () {
            assert.isUndefined(yield* store.get(key))
            yield* store.delete(key)
            assert.isUndefined(yield* store.get(key))
          })
        )
      }
    )

    it.effect("given a value set, when getting it, then the same text comes back", () => {
      const key = `proxy:${unique()}`
      const value = JSON.stringify({ slug: "acme", origin: "https://cms.example", quote: '"\n\t' })
      return withKeys([key], (store) =>
        Effect.gen(function* () {
          yield* store.set(key, value)
          assert.strictEqual(yield* store.get(key), value)
          yield* store.set(`${key}-empty`, "")
          assert.strictEqual(yield* store.get(`${key}-empty`), "", "an empty value is a value, not a miss")
          yield* store.delete(`${key}-empty`)
        })
      )
    })

    it.effect("given a value, when set again, then the newest value wins", () => {
      const key = `proxy:${unique()}`
      return withKeys([key], (store) =>
        Effect.gen(function* () {
          yield* store.set(key, "a much longer first value")
          yield* store.set(key, "two")
          assert.strictEqual(yield* store.get(key), "two", "nothing of the longer old value remains")
        })
      )
    })

    it.effect("given a value, when deleted, then it is gone and its neighbours are not", () => {
      const key = `proxy:${unique()}`
      return withKeys([key, `${key}-neighbour`], (store) =>
        Effect.gen(function* () {
          yield* store.set(key, "one")
          yield* store.set(`${key}-neighbour`, "two")
          yield* store.delete(key)
          assert.isUndefined(yield* store.get(key))
          assert.strictEqual(yield* store.get(`${key}-neighbour`), "two")
          yield* store.delete(key)
        })
      )
    })

    it.effect(
      "given awkward keys (paths, escapes, 300 chars, unicode), then each is its own readable entry",
      () =>
        withKeys(awkwardKeys, (store) =>
          Effect.gen(function* () {
            yield* Effect.forEach(awkwardKeys, (key, index) => store.set(key, `value-${index}`), {
              discard: true
            })
            const values = yield* Effect.forEach(awkwardKeys, (key) => store.get(key))
            assert.deepStrictEqual(
              values,
              awkwardKeys.map((_, index) => `value-${index}`)
            )
            yield* Effect.forEach(awkwardKeys.slice(0, 5), (key) => store.delete(key), { discard: true })
            const after = yield* Effect.forEach(awkwardKeys, (key) => store.get(key))
            assert.deepStrictEqual(
              after,
              awkwardKeys.map((_, index) => (index < 5 ? undefined : `value-${index}`)),
              "deleting one awkward key removes no other"
            )
          })
        )
    )

    it.effect(
      "given many concurrent writes of one key and readers meanwhile, then every read and the end state are one written value whole",
      () => {
        const key = `proxy:${unique()}`
        // Large enough that a non-atomic write is observable half-done.
        const values = Array.from({ length: 32 }, (_, i) =>
          JSON.stringify({ writer: i, pad: String(i % 10).repeat(64 * 1024 + i) })
        )
        return withKeys([key], (store) =>
          Effect.gen(function* () {
            let writing = true
            const torn: Array<number> = []
            const reader = Effect.gen(function* () {
              while (writing) {
                const seen = yield* store.get(key)
                if (seen !== undefined && !values.includes(seen)) torn.push(seen.length)
                yield* Effect.yieldNow
              }
            })
            const readers = yield* Effect.forkChild(
              Effect.all([reader, reader, reader], { concurrency: "unbounded" })
            )
            // Several rounds, so the readers overlap writes (one round can finish before they start).
            const round = Effect.forEach(values, (value) => store.set(key, value), {
              concurrency: "unbounded",
              discard: true
            })
            yield* Effect.forEach([1, 2, 3, 4], () => round, { discard: true }).pipe(
              Effect.ensuring(Effect.sync(() => (writing = false)))
            )
            yield* Fiber.join(readers)
            assert.deepStrictEqual(torn, [], "a reader saw a torn or mixed value")
            const final = yield* store.get(key)
            assert.isTrue(values.includes(final ?? ""), "the end state is a torn or mixed value")
          })
        )
      }
    )

    it.effect("given concurrent writes of different keys, then every one lands", () => {
      const id = unique()
      const keys = Array.from({ length: 64 }, (_, i) => `proxy:${id}-${i}`)
      return withKeys(keys, (store) =>
        Effect.gen(function* () {
          yield* Effect.forEach(keys, (key) => store.set(key, `{"key":"${key}"}`), {
            concurrency: "unbounded",
            discard: true
          })
          const values = yield* Effect.forEach(keys, (key) => store.get(key), { concurrency: 16 })
          assert.deepStrictEqual(
            values,
            keys.map((key) => `{"key":"${key}"}`)
          )
        })
      )
    })

    it.effect("given a 1 MiB value with multi-byte characters, then it comes back byte for byte", () => {
      const key = `proxy:${unique()}-big`
      const big = `${"é✓".repeat(128 * 1024)}${"b".repeat(1024 * 1024 - 128 * 1024 * 5)}`
      return withKeys([key], (store) =>
        Effect.gen(function* () {
          assert.strictEqual(Buffer.byteLength(big), 1024 * 1024)
          yield* store.set(key, big)
          const read = yield* store.get(key)
          assert.strictEqual(read?.length, big.length)
          assert.isTrue(read === big, "the 1 MiB value differs")
        })
      )
    })
  })
