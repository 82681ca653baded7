import { access, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { devKeyFileName, loadMasterKey } from "../../adapters/crypto/masterKey.ts"

/** The error message of a failed load, or a test failure when it loaded. */
const failureOf = async (options: Parameters<typeof loadMasterKey>[0]) => {
  const exit = await Effect.runPromiseExit(loadMasterKey(options))
  if (Exit.isSuccess(exit)) throw new Error("expected loadMasterKey to fail")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (error?._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  expect(error.error._tag).toBe("MasterKeyError")
  return error.error.message
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false
  )

describe("loadMasterKey", () => {
  let dataDir = ""
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tenantry-key-"))
  })
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it("given ENCRYPTION_KEY of 32 bytes (standard or URL-safe base64), then it is the key and nothing is written", async () => {
    const bytes = Buffer.alloc(32, 0xfb)
    for (const encoded of [
      bytes.toString("base64"),
      bytes.toString("base64url"),
      ` ${bytes.toString("base64")}\n`
    ]) {
      const key = await Effect.runPromise(
        loadMasterKey({ encryptionKey: encoded, dataDir, production: true })
      )
      expect(Buffer.from(key).equals(bytes)).toBe(true)
    }
    expect(await exists(join(dataDir, devKeyFileName))).toBe(false)
  })

  it("given ENCRYPTION_KEY of another length, then a clear error naming the expected and actual sizes", async () => {
    for (const length of [0, 16, 31, 33, 64]) {
      const message = await failureOf({
        encryptionKey: Buffer.alloc(length, 1).toString("base64") || "=",
        dataDir,
        production: false
      })
      expect(message).toContain("ENCRYPTION_KEY")
      expect(message).toMatch(/exactly 32 bytes|not valid base64/)
    }
    const message = await failureOf({
      encryptionKey: Buffer.alloc(16).toString("base64"),
      dataDir,
      production: true
    })
    expect(message).toContain("exactly 32 bytes, but it decodes to 16 bytes")
  })

  it("given ENCRYPTION_KEY that is not base64, then a clear error, even when a lenient decode would give 32 bytes", async () => {
    const almost = `${Buffer.alloc(32, 7).toString("base64").slice(0, 43)}!`
    expect(Buffer.from(almost, "base64").length).toBe(32)
    for (const encryptionKey of [almost, "not a key", "p@ssw0rd-p@ssw0rd-p@ssw0rd-p@ssw0rd-p@ssw0rd"]) {
      expect(await failureOf({ encryptionKey, dataDir, production: true })).toContain(
        "ENCRYPTION_KEY is not valid base64"
      )
    }
  })

  it("given no ENCRYPTION_KEY in production, then an error saying ENCRYPTION_KEY is missing, and no key file", async () => {
    expect(await failureOf({ dataDir, production: true })).toContain("ENCRYPTION_KEY is missing")
    expect(await failureOf({ encryptionKey: undefined, dataDir, production: true })).toContain(
      "ENCRYPTION_KEY is missing"
    )
    expect(await exists(join(dataDir, devKeyFileName))).toBe(false)
  })

  it("given no ENCRYPTION_KEY in development, when loading twice, then one key is generated into the data dir (0600) and reused", async () => {
    const nested = join(dataDir, "not", "yet")
    const first = await Effect.runPromise(loadMasterKey({ dataDir: nested, production: false }))
    const again = await Effect.runPromise(loadMasterKey({ dataDir: nested, production: false }))
    expect(first.length).toBe(32)
    expect(Buffer.from(first).equals(Buffer.from(again))).toBe(true)
    const path = join(nested, devKeyFileName)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await readFile(path, "utf8")).trim()).toBe(Buffer.from(first).toString("base64"))
  })

  it("given concurrent first loads in development, then they all get the same key", async () => {
    const keys = await Promise.all(
      Array.from({ length: 8 }, () => Effect.runPromise(loadMasterKey({ dataDir, production: false })))
    )
    for (const key of keys) expect(Buffer.from(key).equals(Buffer.from(keys[0]!))).toBe(true)
  })

  it("given a corrupt development key file, then a clear error naming the file, and the file is left alone", async () => {
    const path = join(dataDir, devKeyFileName)
    await writeFile(path, "short\n", { mode: 0o600 })
    expect(await failureOf({ dataDir, production: false })).toContain(path)
    expect(await readFile(path, "utf8")).toBe("short\n")
  })
})
