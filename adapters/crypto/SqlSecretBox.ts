import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { SecretBox, SecretShredded } from "../../application/ports/SecretBox.ts"

/**
 * Envelope encryption: each tenant has a random 256-bit data key, stored wrapped
 * (AES-256-GCM under the master key, the tenant id as associated data) in `tenant_keys`.
 * Values are sealed with AES-256-GCM under the data key, again bound to the tenant id,
 * as `v1.<iv>.<ciphertext>.<tag>` (base64url). Shredding deletes the wrapped key.
 */
const seal = (key: Uint8Array, plaintext: Uint8Array, aad: string): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(aad, "utf8"))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return [
    "v1",
    iv.toString("base64url"),
    ciphertext.toString("base64url"),
    cipher.getAuthTag().toString("base64url")
  ].join(".")
}

const open = (key: Uint8Array, sealed: string, aad: string): Buffer => {
  const [version, iv, ciphertext, tag] = sealed.split(".")
  if (version !== "v1" || iv === undefined || ciphertext === undefined || tag === undefined) {
    throw new Error("not a sealed value")
  }
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"))
  decipher.setAAD(Buffer.from(aad, "utf8"))
  decipher.setAuthTag(Buffer.from(tag, "base64url"))
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()])
}

const cacheLimit = 1000

export const make = (masterKey: Uint8Array) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // Unwrapped data keys, most recently used last; shred evicts.
    const cache = new Map<string, Uint8Array>()
    const remember = (tenantId: string, key: Uint8Array) => {
      cache.delete(tenantId)
      cache.set(tenantId, key)
      if (cache.size > cacheLimit) cache.delete(cache.keys().next().value as string)
      return key
    }

    const unwrap = (tenantId: string, wrapped: string) =>
      Effect.try({
        try: () => new Uint8Array(open(masterKey, wrapped, `tenant-key:${tenantId}`)),
        // A key we cannot unwrap means a wrong ENCRYPTION_KEY or tampering: a defect, loudly.
        catch: (cause) => new Error(`cannot unwrap the data key of ${tenantId}: ${String(cause)}`)
      }).pipe(Effect.orDie)

    const existingKey = (tenantId: string) =>
      Effect.gen(function* () {
        const cached = cache.get(tenantId)
        if (cached !== undefined) return remember(tenantId, cached)
        const rows = yield* sql<{
          wrapped_key: string
        }>`SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ${tenantId}`.pipe(Effect.orDie)
        if (rows[0] === undefined) return undefined
        return remember(tenantId, yield* unwrap(tenantId, rows[0].wrapped_key))
      })

    const keyForSealing = (tenantId: string) =>
      Effect.gen(function* () {
        const existing = yield* existingKey(tenantId)
        if (existing !== undefined) return existing
        const fresh = randomBytes(32)
        // Racing first seals: the first insert wins and everyone uses the stored key.
        yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key)
          VALUES (${tenantId}, ${seal(masterKey, fresh, `tenant-key:${tenantId}`)})
          ON CONFLICT (tenant_id) DO NOTHING`.pipe(Effect.orDie)
        cache.delete(tenantId)
        const stored = yield* existingKey(tenantId)
        return stored ?? (yield* Effect.die(new Error(`data key of ${tenantId} vanished while sealing`)))
      })

    return SecretBox.of({
      seal: (tenantId, plaintext) =>
        Effect.map(keyForSealing(tenantId), (key) =>
          seal(key, Buffer.from(plaintext, "utf8"), `tenant:${tenantId}`)
        ),
      open: (tenantId, sealed) =>
        Effect.gen(function* () {
          const key = yield* existingKey(tenantId)
          if (key === undefined) return yield* new SecretShredded({ tenantId })
          return yield* Effect.try({
            try: () => open(key, sealed, `tenant:${tenantId}`).toString("utf8"),
            catch: (cause) => new Error(`sealed value for ${tenantId} does not open: ${String(cause)}`)
          }).pipe(Effect.orDie)
        }),
      fingerprint: (tenantId, text) =>
        Effect.map(keyForSealing(tenantId), (key) =>
          createHmac("sha256", key).update(`fingerprint:${text}`, "utf8").digest("base64url")
        ),
      shred: (tenantId) =>
        Effect.gen(function* () {
          cache.delete(tenantId)
          yield* sql`DELETE FROM tenant_keys WHERE tenant_id = ${tenantId}`.pipe(Effect.orDie)
          cache.delete(tenantId)
        })
    })
  })

export const layer = (masterKey: Uint8Array) => Layer.effect(SecretBox, make(masterKey))
