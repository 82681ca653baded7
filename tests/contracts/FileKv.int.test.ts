import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import * as FileKv from "../../adapters/kv/FileKv.ts"
import { kvContract } from "./Kv.contract.ts"

const root = mkdtempSync(join(tmpdir(), "tenantry-kv-"))
const directory = join(root, "kv")
afterAll(() => rmSync(root, { recursive: true, force: true }))

kvContract("files", FileKv.layer(directory))

describe("FileKv layout", () => {
  it("given any key, then its file name is one path segment that is neither . nor ..", () => {
    for (const key of ["../x", "a/b", "..", ".", "proxy:acme", "a\\b", "%2E%2E"]) {
      const name = FileKv.fileNameFor(key)
      expect(name).not.toMatch(/[/\\]/)
      expect([".", ".."]).not.toContain(name)
    }
    expect(FileKv.fileNameFor("proxy:acme")).toBe("proxy%3Aacme")
  })

  it("after the contract ran, then nothing was written outside the directory and no temp file is left", () => {
    expect(readdirSync(root)).toEqual(["kv"])
    expect(readdirSync(directory).filter((name) => name.startsWith(".tmp-"))).toEqual([])
  })
})
