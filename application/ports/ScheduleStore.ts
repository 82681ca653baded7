import { Context, type Effect } from "effect"

/** One (job, key) whose time has come, claimed by the runner that got it. */
export interface DueItem {
  readonly job: string
  readonly key: string
  /** When it was due (epoch milliseconds). */
  readonly dueAt: number
  /** How many runs in a row came before this one without the job starting over (backoff step). */
  readonly attempt: number
  /** The schedule this run belongs to: a reschedule meanwhile wins over this run's next time. */
  readonly revision: number
  /** This runner's claim: only its holder may finish it. */
  readonly claim: number
}

/** When a key's job runs next (epoch milliseconds), and the backoff step it will be at. */
export interface NextRun {
  readonly dueAt: number
  readonly attempt: number
}

/** Where a key's schedule stands: for records that show their next and last check. */
export interface ScheduleEntry {
  readonly key: string
  readonly dueAt: number
  readonly lastRunAt: number | undefined
}

/**
 * Durable due times of the scheduler's jobs (one row per job and key). A claim holds a
 * row for `claimMillis`: another runner (another node after a failover) cannot take it
 * before, and can once it lapses, so a runner that died mid-run loses nothing.
 */
export class ScheduleStore extends Context.Service<
  ScheduleStore,
  {
    /** Sets (or moves) when `key`'s job runs next; an item being run keeps its claim. */
    readonly schedule: (job: string, key: string, next: NextRun) => Effect.Effect<void>
    readonly cancel: (job: string, key: string) => Effect.Effect<void>
    /** Claims up to `limit` rows of `job` due at `now`, oldest first, skipping rows others hold. */
    readonly claimDue: (
      job: string,
      now: number,
      limit: number,
      claimMillis: number
    ) => Effect.Effect<ReadonlyArray<DueItem>>
    /**
     * Ends a claimed run at `now`: `next` is when it runs again (`undefined`: never, the row
     * goes), unless it was rescheduled meanwhile (that schedule stays). Nothing happens when
     * the claim is no longer this runner's.
     */
    readonly finish: (item: DueItem, now: number, next: NextRun | undefined) => Effect.Effect<void>
    /** The schedules of these keys of `job` (missing keys have none). */
    readonly entries: (
      job: string,
      keys: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyMap<string, ScheduleEntry>>
  }
>()("tenantry/application/ports/ScheduleStore") {}

/** The scheduler's job that re-checks custom domains (application/customDomains/domainCheckJob.ts); its keys are hostnames. */
export const domainCheckJob = "domain-check"
