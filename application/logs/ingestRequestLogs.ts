import { Clock, Effect, Result, Schema } from "effect"
import { fastRequestLogRecord, RequestLogRecord } from "../../domain/edge/requestLog.ts"
import { calendarFieldsExist } from "../../domain/shared/isoDate.ts"
import { recordQuotasAfterIngest } from "../analytics/quotas.ts"
import { formatIssues } from "../formatIssues.ts"
import { RequestLogs } from "../ports/RequestLogs.ts"
import { TenantReadModel } from "../ports/TenantReadModel.ts"
import { LogsConfig } from "./LogsConfig.ts"

/** The answer of `POST /api/edge/logs` (CONTRACT.md, Request logs). */
export interface IngestAnswer {
  readonly accepted: number
  readonly rejected: number
  readonly duplicate: number
  /** The first 20 refused lines, numbered from 1. */
  readonly errors: ReadonlyArray<{ readonly line: number; readonly message: string }>
}

/** How many line errors an answer lists; the rest are only counted. */
export const maxReportedErrors = 20

const decodeRecord = Schema.decodeUnknownResult(RequestLogRecord)

const dayMillis = 86_400_000

/** `status: must be …; ts: …`: each refused field once, its first problem. */
const describe = (errors: Record<string, Array<string>>) =>
  Object.entries(errors)
    .map(([field, messages]) => `${field === "body" ? "record" : field}: ${messages[0]}`)
    .join("; ")

/**
 * One batch of request logs from an edge, as NDJSON text (one record a line; blank lines
 * are skipped, and still counted in the numbering). Each line is checked on its own: JSON,
 * the record's shape (fields the record does not name are ignored, so newer edges can add
 * some), a `ts` within retention and not more than a day ahead, a `tenantId` of a live
 * tenant whose slug the record names. What passes is stored in one transaction with its
 * rollups; what does not is counted and the first 20 described. Nothing here throws on bad
 * input: a batch of garbage answers 200 with every line rejected.
 *
 * Like the public webhook receivers, this takes no principal: the HTTP layer has
 * authenticated one of the edge tokens (EDGE_TOKENS), and edges act for every tenant.
 */
export const ingestRequestLogs = Effect.fn("ingestRequestLogs")(function* (input: {
  readonly batchId: string | undefined
  readonly text: string
}) {
  const logs = yield* RequestLogs
  const readModel = yield* TenantReadModel
  const config = yield* LogsConfig
  const now = yield* Clock.currentTimeMillis
  const oldest = now - config.retentionDays * dayMillis
  const newest = now + config.maxFutureSkewMillis

  const refusals: Array<{ line: number; message: string }> = []
  const refuse = (line: number, message: string) => {
    refusals.push({ line, message })
  }

  const candidates: Array<{ readonly line: number; readonly record: RequestLogRecord }> = []
  const lines = input.text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index] as string
    if (text.trim() === "") continue
    const line = index + 1
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      refuse(line, "not valid JSON")
      continue
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      refuse(line, "must be a JSON object (one record per line)")
      continue
    }
    // The hand-written check first (a strict subset of the Schema, fast); what it refuses, the
    // Schema decides, and says why.
    let record = fastRequestLogRecord(value)
    if (record === undefined) {
      const decoded = decodeRecord(value, { errors: "all" })
      if (Result.isFailure(decoded)) {
        refuse(line, describe(formatIssues(decoded.failure, value)))
        continue
      }
      record = decoded.success
    }
    const at = Date.parse(record.ts)
    if (!Number.isFinite(at) || !calendarFieldsExist(record.ts)) {
      refuse(line, "ts: must be a valid ISO 8601 instant")
    } else if (at < oldest) {
      refuse(line, `ts: older than the ${config.retentionDays}-day retention`)
    } else if (at > newest) {
      refuse(line, "ts: too far in the future")
    } else {
      candidates.push({ line, record })
    }
  }

  const tenantIds = [...new Set(candidates.map(({ record }) => record.tenantId as string))]
  const live = tenantIds.length === 0 ? [] : yield* readModel.liveAmong({ tenantIds, slugs: [] })
  const slugOf = new Map(live.map((view) => [view.tenantId as string, view.slug as string]))
  const records: Array<RequestLogRecord> = []
  for (const { line, record } of candidates) {
    const slug = slugOf.get(record.tenantId)
    if (slug === undefined) refuse(line, "tenantId: no such tenant")
    else if (slug !== record.slug) refuse(line, `slug: tenant ${record.tenantId} is "${slug}"`)
    else records.push(record)
  }

  const outcome = yield* logs.ingest({ batchId: input.batchId, records })
  // Quotas (analytics): thresholds newly reached by what was stored; nothing without a limit.
  if (outcome.accepted > 0) {
    yield* recordQuotasAfterIngest(records, input.batchId ?? "edge-logs").pipe(
      Effect.catchCause((cause) => Effect.logWarning("quota check after ingest failed", cause))
    )
  }
  refusals.sort((a, b) => a.line - b.line)
  return {
    accepted: outcome.accepted,
    rejected: refusals.length,
    duplicate: outcome.duplicate,
    errors: refusals.slice(0, maxReportedErrors)
  } satisfies IngestAnswer as IngestAnswer
})
