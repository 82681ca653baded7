import { Effect, Semaphore } from "effect"

/**
 * One permit per stream inside this process, so concurrent commands on one tenant
 * queue here instead of losing optimistic races against each other. Other nodes are
 * still kept honest by the event store's expected-version check.
 */
export const makeStreamLocks = () => {
  const locks = new Map<string, { semaphore: Semaphore.Semaphore; users: number }>()
  return <A, E, R>(streamId: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        let lock = locks.get(streamId)
        if (lock === undefined) {
          lock = { semaphore: Semaphore.makeUnsafe(1), users: 0 }
          locks.set(streamId, lock)
        }
        lock.users++
        return lock
      }),
      (lock) => lock.semaphore.withPermit(effect),
      (lock) =>
        Effect.sync(() => {
          if (--lock.users === 0) locks.delete(streamId)
        })
    )
}
