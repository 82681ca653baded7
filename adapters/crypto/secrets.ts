import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/** A fresh secret: `prefix` + base64url of `bytes` random bytes (256 bits by default). */
export const randomSecret = (prefix: string, bytes = 32): string =>
  `${prefix}${randomBytes(bytes).toString("base64url")}`

/** SHA-256 of the UTF-8 text, as lowercase hex: what we store instead of a token. */
export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex")

// Whole bytes of hex only: Buffer.from(…, "hex") stops quietly at the first bad character,
// which would make "ab" equal "abzz".
const hex = /^(?:[0-9a-fA-F]{2})+$/

/**
 * Compares two hex digests (say, SHA-256 of a presented token and the stored hash) in
 * constant time. Hash first so both sides have the digest's length whatever was sent:
 * then the comparison leaks neither content nor length. Different lengths or anything
 * not hex is simply unequal, never a throw.
 */
export const constantTimeEqualHex = (aHex: string, bHex: string): boolean => {
  if (aHex.length !== bHex.length || !hex.test(aHex) || !hex.test(bHex)) return false
  return timingSafeEqual(Buffer.from(aHex, "hex"), Buffer.from(bHex, "hex"))
}
