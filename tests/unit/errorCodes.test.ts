import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { mappedCodes, toResponse } from "../../adapters/http/errorMap.ts"
import { RoleTooLow } from "../../application/auth/policies.ts"
import { MembershipForbidden, membershipRules } from "../../domain/membership/index.ts"
import { TenantNotFound } from "../../domain/tenant/index.ts"

/**
 * Errors are read by their tag (catchTag) and answered by their code (adapters/http/errorMap.ts):
 * both must be unambiguous across the whole code base, and every refusal a use case can
 * meet must have its row in the one table.
 */

const root = new URL("../../", import.meta.url).pathname
const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name)
    return statSync(join(root, path)).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : []
  })
const code = ["domain", "application", "adapters", "apps"].flatMap(sources).map((path) => ({
  path,
  text: readFileSync(join(root, path), "utf8")
}))

/** Codes that never reach a response: the command handler turns them into others. */
const internalCodes = new Set(["version_conflict"])

describe("error tags and codes", () => {
  it("given every error class, then no two share a tag", () => {
    const tags = code.flatMap(({ path, text }) =>
      [...text.matchAll(/(?:TaggedError<\w+>\(\)|Schema\.Error<\w+>)\(\s*"(\w+)"/g)].map((match) => ({
        tag: match[1]!,
        path
      }))
    )
    expect(tags.length).toBeGreaterThan(30)
    const byTag = Map.groupBy(tags, ({ tag }) => tag)
    const shared = [...byTag]
      .filter(([, places]) => places.length > 1)
      .map(([tag, places]) => `${tag}: ${places.map((p) => p.path).join(", ")}`)
    expect(shared).toEqual([])
  })

  it("given every refusal code in the domain and the application, then the error map has its row", () => {
    const codes = code
      .filter(({ path }) => path.startsWith("domain/") || path.startsWith("application/"))
      .flatMap(({ text }) => [...text.matchAll(/readonly code = "(\w+)"/g)].map((match) => match[1]!))
    expect(codes.length).toBeGreaterThan(15)
    expect(codes.filter((c) => !mappedCodes.has(c) && !internalCodes.has(c))).toEqual([])
  })

  it("given refusals, then they become the contract's envelopes; anything else is a defect (500)", () => {
    const answer = (error: unknown) => Effect.runSyncExit(toResponse(error))
    const failed = (error: unknown) => {
      const exit = answer(error)
      return Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail"
        ? (exit.cause.reasons[0] as { error: { error: string } }).error
        : undefined
    }
    expect(failed(new TenantNotFound())?.error).toBe("not_found")
    expect(failed(new RoleTooLow({ required: "admin", actual: "viewer" }))).toMatchObject({
      error: "insufficient_role",
      requiredRole: "admin"
    })
    for (const rule of membershipRules) {
      expect(failed(new MembershipForbidden({ rule }))?.error, rule).toBe(
        rule === "not_admin" ? "insufficient_role" : "forbidden"
      )
    }
    expect(failed(new Error("boom"))).toBeUndefined()
    expect(Exit.isFailure(answer({ code: "no_such_code" }))).toBe(true)
    expect(failed({ code: "no_such_code" })).toBeUndefined()
  })
})
