import { Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { type Checkpoint, EventStore } from "../../application/ports/EventStore.ts"
import { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"
import { ProjectionWaits } from "../../application/projections/projectionWaits.ts"

// A log that never announces an append (awaiting one just times out) and a stored
// checkpoint that never moves: only the projector's own report can wake a waiter.
const silentStorage = (stored: Checkpoint) =>
  Layer.mergeAll(
    Layer.succeed(EventStore, {
      awaitAppend: (millis: number) => Effect.as(Effect.sleep(millis), false)
    } as unknown as EventStore["Service"]),
    Layer.succeed(ProjectionCheckpoints, {
      load: () => Effect.succeed(stored)
    } as unknown as ProjectionCheckpoints["Service"])
  )

const run = <A>(effect: Effect.Effect<A, never, ProjectionWaits>, stored: Checkpoint) =>
  Effect.runPromise(
    effect.pipe(Effect.provide(ProjectionWaits.layer.pipe(Layer.provide(silentStorage(stored)))))
  )

const target: Checkpoint = { transactionId: 7, position: 70 }

describe("ProjectionWaits", () => {
  it("given a projector on this node, when it reports a checkpoint past the target, then its waiters wake with no append and no newer stored checkpoint", async () => {
    const reached = await run(
      Effect.gen(function* () {
        const waits = yield* ProjectionWaits
        const waiter = yield* Effect.forkChild(waits.reached("edge-config", target, 5_000))
        yield* Effect.sleep("20 millis")
        yield* waits.progressed("edge-config", { transactionId: 7, position: 71 })
        return yield* Fiber.join(waiter)
      }),
      { transactionId: 0, position: 0 }
    )
    expect(reached).toBe(true)
  })

  it("given a report for another projector or short of the target, when a waiter waits, then it times out", async () => {
    const reached = await run(
      Effect.gen(function* () {
        const waits = yield* ProjectionWaits
        const waiter = yield* Effect.forkChild(waits.reached("edge-config", target, 200))
        yield* Effect.sleep("20 millis")
        yield* waits.progressed("other", { transactionId: 9, position: 90 })
        yield* waits.progressed("edge-config", { transactionId: 7, position: 69 })
        return yield* Fiber.join(waiter)
      }),
      { transactionId: 0, position: 0 }
    )
    expect(reached).toBe(false)
  })

  it("given a projector on another node, when the stored checkpoint is past the target, then the waiter returns at once", async () => {
    const reached = await run(
      Effect.flatMap(ProjectionWaits, (waits) => waits.reached("edge-config", target, 200)),
      { transactionId: 8, position: 1 }
    )
    expect(reached).toBe(true)
  })
})
