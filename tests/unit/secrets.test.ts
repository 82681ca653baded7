import { mkdtemp, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { loadMasterKey } from "../../adapters/crypto/masterKey.ts"
import { constantTimeEqualHex, randomSecret, sha256Hex } from "../../adapters/crypto/secrets.ts"

describe("secrets helpers", () => {
  it("given equal digests, then equal; different or malformed, then not, and never a throw", () => {
    const digest = sha256Hex("whsec_abc")
    expect(constantTimeEqualHex(digest, sha256Hex("whsec_abc"))).toBe(true)
    expect(constantTimeEqualHex(digest, sha256Hex("whsec_abd"))).toBe(false)
    expect(constantTimeEqualHex(digest, digest.slice(0, 10))).toBe(false)
    expect(constantTimeEqualHex(digest, "")).toBe(false)
    expect(constantTimeEqualHex(digest, "zz")).toBe(false)
  })

  it("given a prefix, then random secrets carry it and never repeat", () => {
    const secrets = new Set(Array.from({ length: 100 }, () => randomSecret("whsec_")))
    expect(secrets.size).toBe(100)
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
  })
})

describe("master key", () => {
  it("given ENCRYPTION_KEY of 32 bytes, then it is used; of another length or not base64, then a clear error", async () => {
    const key = Buffer.alloc(32, 1).toString("base64")
    const loaded = await Effect.runPromise(
      loadMasterKey({ encryptionKey: key, dataDir: "/nonexistent", production: true })
    )
    expect(Buffer.from(loaded).equals(Buffer.alloc(32, 1))).toBe(true)
    const short = await Effect.runPromiseExit(
      loadMasterKey({ encryptionKey: Buffer.alloc(16).toString("base64"), dataDir: "/x", production: true })
    )
    expect(Exit.isFailure(short) && JSON.stringify(short)).toContain("exactly 32 bytes")
  })

  it("given no ENCRYPTION_KEY in production, then it refuses; in development, one key is made once (0600) and reused", async () => {
    const refused = await Effect.runPromiseExit(
      loadMasterKey({ encryptionKey: undefined, dataDir: "/x", production: true })
    )
    expect(JSON.stringify(refused)).toContain("ENCRYPTION_KEY is required")
    const dataDir = await mkdtemp(join(tmpdir(), "tenantry-key-"))
    try {
      const first = await Effect.runPromise(
        loadMasterKey({ encryptionKey: undefined, dataDir, production: false })
      )
      const again = await Effect.runPromise(
        loadMasterKey({ encryptionKey: undefined, dataDir, production: false })
      )
      expect(Buffer.from(first).equals(Buffer.from(again))).toBe(true)
      expect((await stat(join(dataDir, "dev-encryption-key"))).mode & 0o777).toBe(0o600)
      expect((await readFile(join(dataDir, "dev-encryption-key"), "utf8")).trim()).toBe(
        Buffer.from(first).toString("base64")
      )
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
