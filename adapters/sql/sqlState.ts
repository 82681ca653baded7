import {
  AuthenticationError,
  AuthorizationError,
  ConnectionError,
  ConstraintError,
  DeadlockError,
  LockTimeoutError,
  SerializationError,
  SqlError,
  type SqlErrorReason,
  SqlSyntaxError,
  StatementTimeoutError,
  UniqueViolation,
  UnknownError
} from "effect/sql/SqlError"

/**
 * SQLSTATE → SqlError reason, as @effect/sql-pg classifies (its classifier is not
 * exported), so code above the client sees the same reasons on PGlite and PostgreSQL.
 */
export const classifySqlState = (
  code: string | undefined,
  constraint: string | undefined,
  props: { cause: unknown; message: string; operation: string }
): SqlErrorReason => {
  if (code === undefined) return new UnknownError(props)
  if (code.startsWith("08")) return new ConnectionError(props)
  if (code.startsWith("28")) return new AuthenticationError(props)
  if (code === "42501") return new AuthorizationError(props)
  if (code.startsWith("42")) return new SqlSyntaxError(props)
  if (code === "23505") return new UniqueViolation({ ...props, constraint: constraint ?? "unknown" })
  if (code.startsWith("23")) return new ConstraintError(props)
  if (code === "40P01") return new DeadlockError(props)
  if (code === "40001") return new SerializationError(props)
  if (code === "55P03") return new LockTimeoutError(props)
  if (code === "57014") return new StatementTimeoutError(props)
  return new UnknownError(props)
}

/**
 * PGlite's errors carry the statement and its parameters (event data, secret digests):
 * a copy without them is what travels on, so no logger or error tracker can print them.
 */
const withoutStatement = (cause: unknown): unknown => {
  if (typeof cause !== "object" || cause === null || !("params" in cause || "query" in cause)) return cause
  const { params: _params, query: _query, ...rest } = cause as Record<string, unknown>
  const message = (cause as { message?: unknown }).message
  const copy = new Error(typeof message === "string" ? message : "PGlite query failed")
  Object.assign(copy, rest)
  if (cause instanceof Error && cause.stack !== undefined) copy.stack = cause.stack
  return copy
}

export const toSqlError = (error: unknown, operation: string): SqlError => {
  const cause = withoutStatement(error)
  const details = cause as { code?: unknown; constraint?: unknown; message?: unknown }
  return new SqlError({
    reason: classifySqlState(
      typeof details.code === "string" ? details.code : undefined,
      typeof details.constraint === "string" ? details.constraint : undefined,
      {
        cause,
        message: typeof details.message === "string" ? details.message : "PGlite query failed",
        operation
      }
    )
  })
}
