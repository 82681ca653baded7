import { Deferred, Effect, Exit } from "effect"

export interface MicroBatchOptions {
  /** Flushes running at once; more calls wait for one to finish (default 1). */
  readonly maxInFlight?: number
  /** The most items one flush takes (default 1,000). */
  readonly maxBatch?: number
}

/**
 * Group commit for any write. Idle, a call is flushed at once, alone: no added latency.
 * Busy (every allowed flush running), calls queue and the next flush takes them all:
 * N concurrent writes cost one round trip instead of N. `run` answers each item, in
 * order; when it fails, every item of that flush fails with it.
 *
 * A flush belongs to no caller: a caller that gives up does not strand the others, and
 * its item is still written.
 */
export const microBatch = <A, B, E>(
  run: (items: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E>,
  options: MicroBatchOptions = {}
): ((item: A) => Effect.Effect<B, E>) => {
  const maxInFlight = options.maxInFlight ?? 1
  const maxBatch = options.maxBatch ?? 1000
  const queue: Array<{ readonly item: A; readonly done: Deferred.Deferred<B, E> }> = []
  let inFlight = 0

  const flush = (batch: ReadonlyArray<{ readonly item: A; readonly done: Deferred.Deferred<B, E> }>) =>
    Effect.exit(
      Effect.suspend(() =>
        run(batch.map((entry) => entry.item)).pipe(
          Effect.flatMap((answers) =>
            answers.length === batch.length
              ? Effect.succeed(answers)
              : Effect.die(new Error(`microBatch: ${answers.length} answers for ${batch.length} items`))
          )
        )
      )
    ).pipe(
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          batch.forEach((entry, index) => {
            Deferred.doneUnsafe(
              entry.done,
              Exit.isSuccess(exit) ? Exit.succeed(exit.value[index]!) : (exit as Exit.Exit<never, E>)
            )
          })
        })
      ),
      Effect.ensuring(
        Effect.suspend(() => {
          inFlight--
          return start
        })
      )
    )

  const start: Effect.Effect<void> = Effect.suspend(() => {
    if (inFlight >= maxInFlight || queue.length === 0) return Effect.void
    inFlight++
    // Started at once, not on the scheduler's next turn: under load a turn of the event
    // loop is milliseconds of other requests, and every hop on the write path costs one.
    return Effect.andThen(
      Effect.forkDetach(flush(queue.splice(0, maxBatch)), { startImmediately: true }),
      start
    )
  })

  return (item) =>
    Effect.suspend(() => {
      const done = Deferred.makeUnsafe<B, E>()
      queue.push({ item, done })
      return Effect.andThen(start, Deferred.await(done))
    })
}
