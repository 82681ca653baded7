import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { constantTimeEqualHex, randomSecret, sha256Hex } from "../../adapters/crypto/secrets.ts"

describe("randomSecret", () => {
  it("given a prefix, when minting secrets, then each carries it, has 32 random bytes and never repeats", () => {
    const secrets = new Set(Array.from({ length: 100 }, () => randomSecret("whsec_")))
    expect(secrets.size).toBe(100)
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(secret.slice("whsec_".length), "base64url").length).toBe(32)
    }
  })

  it("given a byte count, then the secret holds that many random bytes", () => {
    const secret = randomSecret("tok_", 16)
    expect(secret).toMatch(/^tok_[A-Za-z0-9_-]{22}$/)
    expect(Buffer.from(secret.slice(4), "base64url").length).toBe(16)
  })
})

describe("sha256Hex", () => {
  it("given text, then its SHA-256 over UTF-8 as 64 lowercase hex characters", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    expect(sha256Hex("ünï ✓")).toBe(createHash("sha256").update(Buffer.from("ünï ✓", "utf8")).digest("hex"))
    expect(sha256Hex("abc")).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe("constantTimeEqualHex", () => {
  const digest = sha256Hex("whsec_abc")

  it("given the same digest, then equal (case of the hex does not matter)", () => {
    expect(constantTimeEqualHex(digest, sha256Hex("whsec_abc"))).toBe(true)
    expect(constantTimeEqualHex(digest, digest.toUpperCase())).toBe(true)
  })

  it("given digests of different texts, then not equal", () => {
    expect(constantTimeEqualHex(digest, sha256Hex("whsec_abd"))).toBe(false)
    const lastFlipped = `${digest.slice(0, -1)}${digest.endsWith("0") ? "1" : "0"}`
    expect(constantTimeEqualHex(digest, lastFlipped)).toBe(false)
  })

  it("given different lengths, then false without throwing", () => {
    expect(() => constantTimeEqualHex(digest, digest.slice(0, 10))).not.toThrow()
    expect(constantTimeEqualHex(digest, digest.slice(0, 10))).toBe(false)
    expect(constantTimeEqualHex(digest, `${digest}00`)).toBe(false)
    expect(constantTimeEqualHex(digest, "")).toBe(false)
    expect(constantTimeEqualHex("", "")).toBe(false)
  })

  it("given text that is not whole bytes of hex, then false, even where a lenient decode would agree", () => {
    expect(constantTimeEqualHex("abzz", "abyy")).toBe(false)
    expect(constantTimeEqualHex("abc", "abd")).toBe(false)
    expect(constantTimeEqualHex("zz", "zz")).toBe(false)
    const bad = `${digest.slice(0, -2)}zz`
    expect(constantTimeEqualHex(bad, bad)).toBe(false)
  })
})
