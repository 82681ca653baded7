import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/** A fresh secret: `prefix` + base64url of `bytes` random bytes. */
export const randomSecret = (prefix: string, bytes = 32): string =>
  `${prefix}${randomBytes(bytes).toString("base64url")}`

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex")

/**
 * Compares two hex SHA-256 digests in constant time. Hashing first makes both sides the
 * same length whatever was sent, so the comparison leaks neither content nor length.
 */
export const constantTimeEqualHex = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "hex")
  const right = Buffer.from(b, "hex")
  if (left.length !== right.length || left.length === 0) return false
  return timingSafeEqual(left, right)
}
