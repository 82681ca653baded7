import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  type DueItem,
  type NextRun,
  type ScheduleEntry,
  ScheduleStore
} from "../../application/ports/ScheduleStore.ts"
import { anyOf, asNumber } from "./rows.ts"

const iso = (millis: number) => new Date(millis).toISOString()

/** `scheduled_jobs` (migration 0010). Claims are `FOR UPDATE SKIP LOCKED`, so concurrent claimers get disjoint rows. */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const schedule = (job: string, key: string, next: NextRun) =>
    sql`INSERT INTO scheduled_jobs (job, key, due_at, attempt)
      VALUES (${job}, ${key}, ${iso(next.dueAt)}::timestamptz, ${next.attempt})
      ON CONFLICT (job, key) DO UPDATE
        SET due_at = EXCLUDED.due_at, attempt = EXCLUDED.attempt, revision = scheduled_jobs.revision + 1`.pipe(
      Effect.asVoid,
      Effect.orDie
    )

  const cancel = (job: string, key: string) =>
    sql`DELETE FROM scheduled_jobs WHERE job = ${job} AND key = ${key}`.pipe(Effect.asVoid, Effect.orDie)

  const claimDue = (job: string, now: number, limit: number, claimMillis: number) =>
    sql<{ key: string; due_ms: unknown; attempt: unknown; revision: unknown; claim: unknown }>`
      WITH due AS (
        SELECT job, key FROM scheduled_jobs
        WHERE job = ${job} AND due_at <= ${iso(now)}::timestamptz
          AND (claimed_until IS NULL OR claimed_until <= ${iso(now)}::timestamptz)
        ORDER BY due_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE scheduled_jobs s
        SET claimed_until = ${iso(now + claimMillis)}::timestamptz, claim = s.claim + 1
      FROM due WHERE s.job = due.job AND s.key = due.key
      RETURNING s.key, (extract(epoch FROM s.due_at) * 1000)::float8 AS due_ms, s.attempt, s.revision, s.claim`.pipe(
      Effect.map((rows) =>
        rows
          .map(
            (row): DueItem => ({
              job,
              key: row.key,
              dueAt: Math.round(asNumber(row.due_ms)),
              attempt: asNumber(row.attempt),
              revision: asNumber(row.revision),
              claim: asNumber(row.claim)
            })
          )
          .sort((a, b) => a.dueAt - b.dueAt)
      ),
      Effect.orDie
    )

  const finish = (item: DueItem, now: number, next: NextRun | undefined) =>
    sql
      .withTransaction(
        Effect.gen(function* () {
          const mine = sql`job = ${item.job} AND key = ${item.key} AND claim = ${item.claim}`
          if (next === undefined) {
            yield* sql`DELETE FROM scheduled_jobs WHERE ${mine} AND revision = ${item.revision}`
          } else {
            yield* sql`UPDATE scheduled_jobs
              SET due_at = ${iso(next.dueAt)}::timestamptz, attempt = ${next.attempt}, revision = revision + 1
              WHERE ${mine} AND revision = ${item.revision}`
          }
          // Rescheduled meanwhile or not: the claim ends, and the run is recorded.
          yield* sql`UPDATE scheduled_jobs SET claimed_until = NULL, last_run_at = ${iso(now)}::timestamptz
            WHERE ${mine}`
        })
      )
      .pipe(Effect.orDie)

  const entries = (job: string, keys: ReadonlyArray<string>) =>
    keys.length === 0
      ? Effect.succeed(new Map<string, ScheduleEntry>())
      : sql<{ key: string; due_ms: unknown; last_ms: unknown }>`
          SELECT key, (extract(epoch FROM due_at) * 1000)::float8 AS due_ms,
            (extract(epoch FROM last_run_at) * 1000)::float8 AS last_ms
          FROM scheduled_jobs WHERE job = ${job} AND key = ${anyOf(sql, keys)}`.pipe(
          Effect.map(
            (rows) =>
              new Map(
                rows.map((row): [string, ScheduleEntry] => [
                  row.key,
                  {
                    key: row.key,
                    dueAt: Math.round(asNumber(row.due_ms)),
                    lastRunAt: row.last_ms === null ? undefined : Math.round(asNumber(row.last_ms))
                  }
                ])
              )
          ),
          Effect.orDie
        )

  return ScheduleStore.of({ schedule, cancel, claimDue, finish, entries })
})

export const layer = Layer.effect(ScheduleStore, make)
