import { Effect } from "effect"
import type { SqlClient } from "effect/sql"

/**
 * Day partitions of `request_logs` (one per UTC day, `request_logs_pYYYYMMDD`), created and
 * dropped by our own code (no pg_partman: PGlite has no extensions of that kind).
 */

const dayMillis = 86_400_000

/** `2026-12-05` for any instant of that UTC day. */
export const utcDay = (date: Date): string => date.toISOString().slice(0, 10)

const partitionName = (day: string) => `request_logs_p${day.replaceAll("-", "")}`

/** The day a partition's name stands for, if it is one of ours. */
const dayOfPartition = (name: string): string | undefined => {
  const match = /^request_logs_p(\d{4})(\d{2})(\d{2})$/.exec(name)
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`
}

const nextDay = (day: string) => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + dayMillis))

/** Every UTC day from `from` to `to`, both included. */
export const daysBetween = (from: Date, to: Date): ReadonlyArray<string> => {
  const days: Array<string> = []
  for (let t = Date.parse(`${utcDay(from)}T00:00:00Z`); t <= to.getTime(); t += dayMillis) {
    days.push(utcDay(new Date(t)))
  }
  return days
}

/** The partitions that exist now, by day. */
export const existingPartitions = (sql: SqlClient.SqlClient) =>
  Effect.map(
    sql<{ readonly name: string }>`
      SELECT c.relname AS name FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = 'request_logs'`,
    (rows) =>
      new Set(
        rows.flatMap((row) => (dayOfPartition(row.name) === undefined ? [] : [dayOfPartition(row.name)!]))
      )
  ).pipe(Effect.orDie)

/**
 * Creates the day's partition when missing. Two writers may race to create it: the loser's
 * CREATE fails (duplicate table or type), which is fine once the partition is there.
 */
export const createPartition = (sql: SqlClient.SqlClient, day: string) =>
  sql
    .unsafe(
      `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF request_logs
       FOR VALUES FROM ('${day}T00:00:00Z') TO ('${nextDay(day)}T00:00:00Z')`
    )
    .pipe(
      Effect.asVoid,
      Effect.catch((error) =>
        Effect.flatMap(existingPartitions(sql), (days) => (days.has(day) ? Effect.void : Effect.die(error)))
      )
    )

/** Drops the partitions of days before `firstKeptDay`; answers the days dropped. */
export const dropPartitionsBefore = (sql: SqlClient.SqlClient, firstKeptDay: string) =>
  Effect.gen(function* () {
    const days = [...(yield* existingPartitions(sql))].filter((day) => day < firstKeptDay).sort()
    for (const day of days) {
      yield* sql.unsafe(`DROP TABLE IF EXISTS ${partitionName(day)}`).pipe(Effect.orDie)
    }
    return days
  })
