import { Context } from "effect"

/** What the request-log use cases need from the settings, read once at start. */
export interface LogsSettings {
  /** Days of request logs kept (`LOG_RETENTION_DAYS`, default 30). */
  readonly retentionDays: number
  /** Days of partitions made ahead of today. */
  readonly partitionsAheadDays: number
  /** How far ahead of the server's clock a record's `ts` may be (edge clocks drift). */
  readonly maxFutureSkewMillis: number
}

export class LogsConfig extends Context.Service<LogsConfig, LogsSettings>()(
  "tenantry/application/logs/LogsConfig"
) {}

export const defaultLogsSettings: LogsSettings = {
  retentionDays: 30,
  partitionsAheadDays: 3,
  maxFutureSkewMillis: 24 * 3_600_000
}
