import { Effect } from "effect"

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")

/**
 * Invite tokens: 256 random bits, shown once; only their SHA-256 (hex) is kept. Web
 * Crypto is a platform global, so this needs no driver.
 */
export const newInviteToken = Effect.sync(
  () => `inv_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`
)

export const hashInviteToken = (token: string) =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))).pipe(
    Effect.map((digest) => hex(new Uint8Array(digest)))
  )
