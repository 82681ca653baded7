import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as FileKv from "../../adapters/kv/FileKv.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { kvContract } from "./Kv.contract.ts"

const root = mkdtempSync(join(tmpdir(), "tenantry-kv-"))
// The contract's directory sits alone in its parent, so a key escaping it would show up there.
const contractRoot = join(root, "contract")
const directory = join(contractRoot, "kv")
afterAll(() => rmSync(root, { recursive: true, force: true }))

kvContract("files", FileKv.layer(directory))

const runWith = <A>(dir: string, use: (kv: Kv["Service"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromiseExit(
    Effect.gen(function* () {
      return yield* use(yield* Kv)
    }).pipe(Effect.provide(FileKv.layer(dir)))
  )

describe("FileKv layout", () => {
  it("given any key, then its file name is one segment, not . or .., not hidden, and fits NAME_MAX", () => {
    const keys = ["../x", "a/b", "..", ".", "", "proxy:acme", "a\\b", "%2E%2E", "\uD800", "租".repeat(100)]
    for (const key of keys) {
      const name = FileKv.fileNameFor(key)
      expect(name).not.toMatch(/[/\\\0]/)
      expect(name.startsWith(".")).toBe(false)
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    }
  })

  it("given a key of ordinary length, then its file name decodes back to it", () => {
    for (const key of ["proxy:acme", "Proxy:ACME.v2", "a%3Ab*c", "ünïcødé ✓ 🚀", "../../etc/passwd"]) {
      expect(decodeURIComponent(FileKv.fileNameFor(key))).toBe(key)
    }
  })

  it("given keys that differ only in case, a lone surrogate or normalisation, then their names differ even case-folded", () => {
    const pairs = [
      ["Acme", "acme"],
      ["\uD800", "\uD801"],
      ["e\u0301", "\u00e9"],
      ["%3A", "%3a"]
    ] as const
    for (const [a, b] of pairs) {
      expect(FileKv.fileNameFor(a).toLowerCase()).not.toBe(FileKv.fileNameFor(b).toLowerCase())
    }
  })

  it("given proxy:acme set, then the file proxy%3Aacme holds the value (the layout existing data uses)", async () => {
    const dir = join(root, "layout")
    const exit = await runWith(dir, (kv) => kv.set("proxy:acme", '{"slug":"acme"}'))
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(readFileSync(join(dir, "proxy%3Aacme"), "utf8")).toBe('{"slug":"acme"}')
  })

  it("given a directory path that is a file, when the layer starts, then it fails with KvError", async () => {
    const notADirectory = join(root, "not-a-directory")
    writeFileSync(notADirectory, "")
    const exit = await runWith(notADirectory, (kv) => kv.get("x"))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("KvError")
  })

  it("after the contract ran, then nothing was written outside the directory, every key it set is gone and no temp file is left", () => {
    expect(readdirSync(contractRoot)).toEqual(["kv"])
    expect(readdirSync(directory)).toEqual([])
  })
})
