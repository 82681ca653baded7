import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { microBatch } from "../../application/microBatch.ts"

describe("microBatch", () => {
  it("given 50 concurrent calls while one flush is running, when they complete, then each gets its own answer and they went out in far fewer flushes", async () => {
    const flushes: Array<ReadonlyArray<number>> = []
    const double = microBatch((items: ReadonlyArray<number>) =>
      Effect.sleep("5 millis").pipe(
        Effect.andThen(Effect.sync(() => flushes.push(items))),
        Effect.as(items.map((item) => item * 2))
      )
    )
    const answers = await Effect.runPromise(
      Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        double,
        { concurrency: "unbounded" }
      )
    )
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => i * 2))
    expect(flushes.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(flushes.length).toBeLessThanOrEqual(2)
    expect(flushes[0]).toEqual([0])
  })

  it("given a flush that fails, when its callers wait, then every one of them fails and later calls still go through", async () => {
    let fail = true
    const gate = Deferred.makeUnsafe<void>()
    const write = microBatch((items: ReadonlyArray<string>) =>
      Deferred.await(gate).pipe(
        Effect.andThen(
          fail ? Effect.fail(`refused ${items.length}`) : Effect.succeed(items.map((item) => `${item}!`))
        )
      )
    )
    const outcomes = await Effect.runPromise(
      Effect.gen(function* () {
        const first = yield* Effect.forkChild(Effect.result(write("a")))
        const queued = yield* Effect.forkChild(
          Effect.forEach(["b", "c"], (item) => Effect.result(write(item)), { concurrency: "unbounded" })
        )
        yield* Effect.sleep("10 millis")
        yield* Deferred.succeed(gate, undefined)
        const a = yield* Fiber.join(first)
        const bc = yield* Fiber.join(queued)
        fail = false
        const later = yield* write("d")
        return { a, bc, later }
      })
    )
    expect(JSON.stringify(outcomes.a)).toContain("refused 1")
    expect(JSON.stringify(outcomes.bc)).toContain("refused 2")
    expect(outcomes.later).toBe("d!")
  })
})
