import { Deferred, Effect, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { type Checkpoint, EventStore, type RecordedEvent } from "../../application/ports/EventStore.ts"
import {
  type Lease,
  LeaseLost,
  ProjectionCheckpoints
} from "../../application/ports/ProjectionCheckpoints.ts"
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
      // Once the event is out, the log goes quiet for good: the projector may run on a
      // little before the test interrupts it, and must not add waits meanwhile.
      readAll: (after: Checkpoint) =>
        reads > emptyReads
          ? Effect.never
          : Effect.sync(() => {
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
      lease: (name: string) => Effect.succeed({ name, epoch: 1, lost: Effect.never })
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

/**
 * A log that never ends (one event per read) and a lease service whose every grant gets
 * the next epoch; only the newest epoch may save. `lose` completes a grant's `lost`.
 */
const endlessLogAndLeases = () => {
  let position = 0
  let newest = 0
  let granted = 0
  const lostSignals: Array<Deferred.Deferred<void>> = []
  const layer = Layer.mergeAll(
    Layer.succeed(EventStore, {
      readAll: () =>
        Effect.sync(() => {
          position++
          const event = { type: "Seen", transactionId: 1, position } as unknown as RecordedEvent
          return { events: [event], checkpoint: { transactionId: 1, position } }
        }),
      awaitAppend: () => Effect.succeed(true)
    } as unknown as EventStore["Service"]),
    Layer.succeed(ProjectionCheckpoints, {
      load: () => Effect.succeed(start),
      save: (lease: Lease) =>
        lease.epoch === newest
          ? Effect.void
          : Effect.fail(new LeaseLost({ name: lease.name, epoch: lease.epoch })),
      lease: (name: string) =>
        Effect.sync(() => {
          const lost = Deferred.makeUnsafe<void>()
          lostSignals[newest] = lost
          granted = ++newest
          return { name, epoch: granted, lost: Deferred.await(lost) }
        })
    } as unknown as ProjectionCheckpoints["Service"])
  )
  return {
    layer,
    /** The epoch of the runner's newest lease. */
    holder: () => granted,
    /** Another runner takes the lease: the holder is stale from now on, without being told. */
    takeOver: () => {
      newest++
    },
    lose: (epoch: number) => Deferred.succeed(lostSignals[epoch - 1]!, undefined)
  }
}

describe("runProjector under a lease", () => {
  it("given another runner took the lease, when the holder's next save is refused, then it handles nothing more under that lease and asks for the lease again", async () => {
    const world = endlessLogAndLeases()
    const handledBy: Array<number> = []
    await Effect.runPromise(
      Effect.gen(function* () {
        const enough = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          runProjector(
            {
              name: "test",
              handles: new Set(["Seen"]),
              handle: () =>
                Effect.gen(function* () {
                  handledBy.push(world.holder())
                  // While epoch 1 handles its first batch, another runner takes the lease (epoch 2).
                  if (handledBy.length === 1) world.takeOver()
                  if (handledBy.length === 4) yield* Deferred.succeed(enough, undefined)
                })
            },
            { saveEveryMillis: 0, standbyMillis: 1 }
          )
        )
        yield* Deferred.await(enough)
        yield* Fiber.interrupt(fiber)
      }).pipe(Effect.provide(world.layer))
    )
    // (It may run on a little before the interruption lands: the first four tell.)
    expect(handledBy.slice(0, 4)).toEqual([1, 3, 3, 3])
  })

  it("given the lease reports itself lost while a batch is being handled, then that handling is interrupted and the projector asks for the lease again", async () => {
    const world = endlessLogAndLeases()
    const log: Array<string> = []
    await Effect.runPromise(
      Effect.gen(function* () {
        const handlingUnderTheNextLease = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          runProjector(
            {
              name: "test",
              handles: new Set(["Seen"]),
              handle: () =>
                world.holder() === 1
                  ? Effect.andThen(
                      Effect.sync(() => log.push("epoch 1 handling")),
                      Effect.never.pipe(
                        Effect.onInterrupt(() => Effect.sync(() => log.push("epoch 1 interrupted")))
                      )
                    )
                  : Effect.andThen(
                      Effect.sync(() => log.push(`epoch ${world.holder()} handling`)),
                      Deferred.succeed(handlingUnderTheNextLease, undefined)
                    )
            },
            { saveEveryMillis: 0, standbyMillis: 1 }
          )
        )
        while (log.length === 0) yield* Effect.sleep(1)
        yield* world.lose(1)
        yield* Deferred.await(handlingUnderTheNextLease)
        yield* Fiber.interrupt(fiber)
      }).pipe(Effect.provide(world.layer))
    )
    expect(log.slice(0, 3)).toEqual(["epoch 1 handling", "epoch 1 interrupted", "epoch 2 handling"])
  })
})
