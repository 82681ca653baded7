import { proofInput } from "../domain/edge/headers.ts"

/**
 * EDGE_SEAL_KEY at the edge, over WebCrypto (the same in Node and in Workers): it opens the
 * API token the control plane sealed into `proxy:{slug}` (adapters/crypto/edgeSeal.ts writes
 * `v1.{iv}.{ciphertext+tag}`, base64url, AES-256-GCM, the slug as associated data) and keys
 * `x-cachely-proof`.
 */
export interface EdgeKeys {
  /** The token, or undefined when it does not open (wrong key, another tenant's, damaged). */
  readonly open: (slug: string, sealed: string) => Promise<string | undefined>
  /** hex HMAC-SHA256 of `{nonce}|{host}`. */
  readonly proof: (nonce: string, host: string) => Promise<string>
}

const fromBase64Url = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4)
  const binary = atob(padded)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const hex = (buffer: ArrayBuffer): string =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("")

/** Opened tokens kept per sealed text (each API request would otherwise decrypt again). */
const openedKept = 1000

export const makeEdgeKeys = async (rawKey: Uint8Array<ArrayBuffer>): Promise<EdgeKeys> => {
  const aes = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"])
  const hmac = await crypto.subtle.importKey("raw", rawKey, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign"
  ])
  const encoder = new TextEncoder()
  const opened = new Map<string, string>()
  return {
    open: async (slug, sealed) => {
      const cacheKey = `${slug}\u0000${sealed}`
      const known = opened.get(cacheKey)
      if (known !== undefined) return known
      const [version, iv, body] = sealed.split(".")
      const ivBytes = fromBase64Url(iv ?? "")
      const bodyBytes = fromBase64Url(body ?? "")
      if (version !== "v1" || ivBytes?.length !== 12 || bodyBytes === undefined || bodyBytes.length < 16)
        return undefined
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: ivBytes, additionalData: encoder.encode(slug) },
          aes,
          bodyBytes
        )
        const token = new TextDecoder().decode(plain)
        if (opened.size >= openedKept) opened.delete(opened.keys().next().value as string)
        opened.set(cacheKey, token)
        return token
      } catch {
        return undefined
      }
    },
    proof: async (nonce, host) =>
      hex(await crypto.subtle.sign("HMAC", hmac, encoder.encode(proofInput(nonce, host))))
  }
}

/** EDGE_SEAL_KEY's base64 text → its 32 bytes, or undefined when it is not that. */
export const decodeSealKey = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined
  const bytes = fromBase64Url(trimmed.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"))
  return bytes?.length === 32 ? bytes : undefined
}
