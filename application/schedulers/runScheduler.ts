import { Cause, Clock, Duration, Effect, Schedule } from "effect"
import { type Lease, ProjectionCheckpoints } from "../ports/ProjectionCheckpoints.ts"
import { type DueItem, type NextRun, ScheduleStore } from "../ports/ScheduleStore.ts"

/**
 * Work done later, per key, at durable due times (`ScheduleStore`). A job's rows are
 * written by whoever decides that the work is needed (a use case, or an inline projection
 * in the append's own transaction, so the schedule commits with the events); `run` does
 * the work for one key and says when it runs next (`undefined`: never, the row goes).
 */
export interface ScheduledJob<R = never> {
  /** The `job` column of its rows; unique across jobs. */
  readonly name: string
  readonly run: (item: DueItem) => Effect.Effect<NextRun | undefined, never, R>
  /** When a run dies (a defect): its next try, `retryMillis` later (60 s unless given). */
  readonly retryMillis?: number
}

export interface SchedulerOptions {
  /** How often the runner looks for due rows when there were none (1 s unless given). */
  readonly pollMillis?: number
  /** How long a claim holds a row (60 s unless given): longer than any run. */
  readonly claimMillis?: number
  /** Rows claimed per job and round (20 unless given). */
  readonly batchSize?: number
  /** Runs at once within a round (4 unless given). */
  readonly concurrency?: number
  /** How often a node without the lease asks for it again (5 s unless given). */
  readonly standbyMillis?: number
}

/** The lease the scheduler holds, on the projectors' mechanism (one node at a time, fenced). */
export const schedulerLeaseName = "scheduler"

/**
 * Runs every job for ever on the one node holding the scheduler's lease (the projectors'
 * lease mechanism, see SqlProjectionCheckpoints): each round claims each job's due rows
 * (skipping rows another runner holds), runs them, and finishes each with its next due
 * time. A claim lasts `claimMillis`, so a key is never run twice at once, even by a stale
 * holder that has not noticed its lost lease; a runner that dies mid-run leaves claims that
 * lapse, and the next holder runs those keys then. Due times are in the database: a
 * restart loses none.
 */
export const runScheduler = <R>(jobs: ReadonlyArray<ScheduledJob<R>>, options: SchedulerOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* ScheduleStore
    const checkpoints = yield* ProjectionCheckpoints
    const pollMillis = options.pollMillis ?? 1_000
    const claimMillis = options.claimMillis ?? 60_000
    const batchSize = options.batchSize ?? 20
    const concurrency = options.concurrency ?? 4

    const runOne = (job: ScheduledJob<R>, item: DueItem) =>
      job.run(item).pipe(
        Effect.catchCause((cause) =>
          Effect.gen(function* () {
            yield* Effect.logWarning(`scheduled job ${job.name} failed for one key; retrying later`, cause)
            const now = yield* Clock.currentTimeMillis
            return { dueAt: now + (job.retryMillis ?? 60_000), attempt: item.attempt + 1 } as NextRun
          })
        ),
        Effect.flatMap((next) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => store.finish(item, now, next))
        )
      )

    const rounds = Effect.fnUntraced(function* (_lease: Lease) {
      while (true) {
        let ran = 0
        for (const job of jobs) {
          const now = yield* Clock.currentTimeMillis
          const items = yield* store.claimDue(job.name, now, batchSize, claimMillis)
          ran += items.length
          yield* Effect.forEach(items, (item) => runOne(job, item), { concurrency, discard: true })
        }
        if (ran === 0) yield* Effect.sleep(pollMillis)
      }
    })

    const leased = Effect.scoped(
      Effect.gen(function* () {
        const lease = yield* checkpoints.lease(schedulerLeaseName)
        if (lease === undefined) return yield* Effect.sleep(options.standbyMillis ?? 5_000)
        yield* rounds(lease).pipe(Effect.raceFirst(lease.lost))
        yield* Effect.logWarning(`scheduler stopped (epoch ${lease.epoch}): its lease was lost; standing by`)
      })
    )

    return yield* leased.pipe(
      Effect.tapCause((cause) =>
        Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logWarning("scheduler failed; retrying", cause)
      ),
      Effect.retry(
        Schedule.exponential(100).pipe(
          Schedule.modifyDelay(({ output }) => Effect.succeed(Math.min(Duration.toMillis(output), 5000)))
        )
      ),
      Effect.forever
    )
  })
