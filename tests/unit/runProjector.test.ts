import { Deferred, Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { type Checkpoint, EventStore, type RecordedEvent } from "../../application/ports/EventStore.ts"
import { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"
import { runProjector } from "../../application/projections/runProjector.ts"

const start: Checkpoint = { transactionId: 0, position: 0 }

const recorded = { type: "Seen", transactionId: 1, position: 1 } as unknown as RecordedEvent

/**
 * A log whose first `emptyReads` reads find nothing (events hidden behind a transaction
 * still running), then one event; every wait for news is answered at once by `news`.
 * Records how long the projector asked to wait each time.
 */
const hiddenThenVisible = (emptyReads: number, news: boolean) => {
  const waits: Array<number> = []
  let reads = 0
  const layer = Layer.mergeAll(
    Layer.succeed(EventStore, {
      readAll: (after: Checkpoint) =>
        Effect.sync(() => {
          reads++
          return reads === emptyReads + 1
            ? { events: [recorded], checkpoint: { transactionId: 1, position: 1 } }
            : { events: [], checkpoint: after }
        }),
      awaitAppend: (millis: number) =>
        Effect.sync(() => {
          waits.push(millis)
          return news
        })
    } as unknown as EventStore["Service"]),
    Layer.succeed(ProjectionCheckpoints, {
      load: () => Effect.succeed(start),
      save: () => Effect.void,
      lease: () => Effect.succeed(true)
    } as unknown as ProjectionCheckpoints["Service"])
  )
  return { waits, layer }
}

const runUntilHandled = (layer: Layer.Layer<EventStore | ProjectionCheckpoints>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const handled = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        runProjector({
          name: "test",
          handles: new Set(["Seen"]),
          handle: () => Deferred.succeed(handled, undefined)
        })
      )
      yield* Deferred.await(handled)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(layer))
  )

describe("runProjector", () => {
  it("given reads that stay empty while appends keep coming, then each piece of news starts the wait over at 1 ms (it never grows to the poll interval)", async () => {
    const { waits, layer } = hiddenThenVisible(12, true)
    await runUntilHandled(layer)
    expect(waits).toEqual(Array.from({ length: 12 }, () => 1))
  })

  it("given reads that stay empty and no news, then the wait doubles up to the poll interval", async () => {
    const { waits, layer } = hiddenThenVisible(12, false)
    await runUntilHandled(layer)
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000])
  })
})
