import { describe, expect, it } from "vitest"
import { toSqlError } from "../../adapters/sql/sqlState.ts"

describe("PGlite errors", () => {
  it("given a failed statement whose error carries its query and parameters, when it becomes a SqlError, then the cause keeps the code and message but neither the query nor the parameters", () => {
    const failure = Object.assign(
      new Error('duplicate key value violates unique constraint "tenants_live_slug"'),
      {
        code: "23505",
        constraint: "tenants_live_slug",
        query: "INSERT INTO events (data) VALUES ($1)",
        params: ['{"secretHash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}']
      }
    )
    const error = toSqlError(failure, "execute")
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + JSON.stringify(error.reason)
    expect(text).not.toContain("9f86d081")
    expect(text).not.toContain("INSERT INTO events")
    expect(error.reason._tag).toBe("UniqueViolation")
    const cause = (error.reason as { cause?: Record<string, unknown> }).cause!
    expect(cause.code).toBe("23505")
    expect(cause.message).toContain("tenants_live_slug")
    expect("params" in cause || "query" in cause).toBe(false)
  })
})
