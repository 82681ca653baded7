import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The scheduler's durable due times (application/schedulers/runScheduler.ts): one row per
 * (job, key), e.g. ('domain-check', 'shop.example.com'). A runner claims due rows with
 * `FOR UPDATE SKIP LOCKED` and marks them `claimed_until` (a claim that outlives its runner
 * expires, so a crash loses nothing); `claim` numbers the claims (the finisher must hold the
 * newest), `revision` the schedules (a reschedule during a run wins over the run's own next
 * time). `last_run_at` is when the key's job last finished.
 */
export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE scheduled_jobs (
    job text NOT NULL,
    key text NOT NULL,
    due_at timestamptz NOT NULL,
    attempt integer NOT NULL DEFAULT 0,
    revision bigint NOT NULL DEFAULT 1,
    claim bigint NOT NULL DEFAULT 0,
    claimed_until timestamptz,
    last_run_at timestamptz,
    PRIMARY KEY (job, key)
  )`
  yield* sql`CREATE INDEX scheduled_jobs_due ON scheduled_jobs (job, due_at)`
})
