import { createCipheriv, randomBytes } from "node:crypto"
import { Effect, Layer } from "effect"
import { EdgeSeal } from "../../application/ports/EdgeSeal.ts"

/** Sealed tokens remembered per token version; beyond this many, the oldest is forgotten. */
const remembered = 10_000

/**
 * `v1.{iv}.{ciphertext+tag}` (base64url): AES-256-GCM under the 32-byte key, a fresh
 * 12-byte IV each time, the slug as associated data (a sealed token copied into another
 * tenant's snapshot does not open). WebCrypto's AES-GCM (the edge) reads ciphertext and
 * tag concatenated, as written here.
 */
export const sealForEdge = (key: Uint8Array, slug: string, plaintext: string): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(slug, "utf8"))
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()])
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}`
}

/** The EdgeSeal port over EDGE_SEAL_KEY (`undefined`: nothing is sealed, tokens stay out). */
export const layer = (key: Uint8Array | undefined) =>
  Layer.sync(EdgeSeal, () => {
    const sealed = new Map<string, string>()
    return {
      sealToken: (version, open) => {
        if (key === undefined) return Effect.succeed(null)
        const id = `${version.tenantId}\u0000${version.slug}\u0000${version.tokenUpdatedAt}`
        const known = sealed.get(id)
        if (known !== undefined) return Effect.succeed(known)
        return Effect.map(open, (plaintext) => {
          const value = sealForEdge(key, version.slug, plaintext)
          if (sealed.size >= remembered) sealed.delete(sealed.keys().next().value as string)
          sealed.set(id, value)
          return value
        })
      }
    }
  })
