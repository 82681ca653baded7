import { Effect } from "effect"
import type { CacheOutcome, StatusClass, Surface } from "../../domain/edge/requestLog.ts"
import { InvalidInput } from "../context.ts"
import { type LogCursor, type LogFilter, RequestLogs } from "../ports/RequestLogs.ts"
import { tenantUseCase } from "../useCase.ts"

/** The query of `GET …/logs` once its fields have their shapes (the HTTP schema checks those). */
export interface LogsQuery {
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
  /** `404` or `4xx`. */
  readonly status?: string | undefined
  readonly cache?: CacheOutcome | undefined
  readonly surface?: Surface | undefined
  readonly method?: string | undefined
  readonly path?: string | undefined
  /** ISO 8601. */
  readonly from?: string | undefined
  readonly to?: string | undefined
}

const cursorId = /^[A-Za-z0-9_.:-]{1,128}$/
const cursorTs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The cursor handed out: base64url of `[ts, id]` of the page's last record. Opaque to clients. */
export const encodeCursor = (cursor: LogCursor): string =>
  Buffer.from(JSON.stringify([cursor.ts, cursor.id]), "utf8").toString("base64url")

/** A cursor this server handed out, or undefined for anything else. */
export const decodeCursor = (text: string): LogCursor | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const [ts, id] = value as [unknown, unknown]
  if (typeof ts !== "string" || typeof id !== "string") return undefined
  if (!cursorTs.test(ts) || !Number.isFinite(Date.parse(ts)) || !cursorId.test(id)) return undefined
  return { ts, id }
}

/** A date alone is midnight UTC; a date-time without an offset is UTC too. */
const instantOf = (text: string): Date => {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? `${text}T00:00:00Z`
    : /(?:Z|[+-]\d{2}:?\d{2})$/.test(text)
      ? text
      : `${text.replace(" ", "T")}Z`
  return new Date(date)
}

const invalid = (field: string, message: string) =>
  new InvalidInput({ message: "The query string is invalid", errors: { [field]: [message] } })

/**
 * A page of the tenant's request logs, newest first (ts, then id), filtered, keyset-paged:
 * `nextCursor` names the page's last record, so records arriving meanwhile never shift a
 * page (a late record older than the cursor shows up on a later page, one newer than the
 * first page is not seen until the reader starts again).
 */
export const requestLogs = tenantUseCase("requestLogs", "viewer", (_context, access, query: LogsQuery) =>
  Effect.gen(function* () {
    const logs = yield* RequestLogs
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    if (query.cursor !== undefined && cursor === undefined) {
      return yield* invalid("cursor", "must be the nextCursor of a previous page")
    }
    const from = query.from === undefined ? undefined : instantOf(query.from)
    const to = query.to === undefined ? undefined : instantOf(query.to)
    if (from !== undefined && !Number.isFinite(from.getTime())) {
      return yield* invalid("from", "must be a valid ISO 8601 date or date-time")
    }
    if (to !== undefined && !Number.isFinite(to.getTime())) {
      return yield* invalid("to", "must be a valid ISO 8601 date or date-time")
    }
    if (from !== undefined && to !== undefined && from.getTime() > to.getTime()) {
      return yield* invalid("from", "must not be after to")
    }
    const status: LogFilter["status"] =
      query.status === undefined
        ? undefined
        : query.status.endsWith("xx")
          ? { class: query.status as StatusClass }
          : { code: Number(query.status) }
    const limit = query.limit ?? 50
    const page = yield* logs.page({
      tenantId: access.tenant.tenantId,
      filter: {
        status,
        cache: query.cache,
        surface: query.surface,
        method: query.method?.toUpperCase(),
        pathPrefix: query.path,
        from,
        to
      },
      cursor,
      limit
    })
    return {
      logs: page.logs,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
      hasMore: page.next !== undefined
    }
  })
)
