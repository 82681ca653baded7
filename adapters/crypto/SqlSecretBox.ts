import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { SecretBox, SecretShredded } from "../../application/ports/SecretBox.ts"

/**
 * Envelope encryption with crypto-shredding.
 *
 * Each tenant has a random 256-bit data key, stored in `tenant_keys` wrapped by the
 * master key. Values are sealed under the data key. Both layers are AES-256-GCM with a
 * random 96-bit IV and the tenant id in the associated data, so neither a wrapped key
 * nor a sealed value can be moved to another tenant. Deleting the key row (shred)
 * leaves every value sealed for the tenant unreadable, copies in the event log too.
 *
 * A value that does not open (tampered, truncated, sealed for another tenant, or a
 * wrapped key under another master key) is a defect, not a typed failure: every
 * sealed value comes from our own storage, so it means corruption, a wrong
 * ENCRYPTION_KEY or a bug, none of which a caller can handle. The port's error
 * channel keeps only what callers can act on: `SecretShredded`.
 */

const version = "v1"
const ivBytes = 12
const tagBytes = 16
const keyBytes = 32
/** Enough for every active tenant of a node; evicting only costs one SELECT and an unwrap. */
const cacheLimit = 1000

// Distinct associated data for the two layers: a sealed value can never pass as a
// wrapped key or the other way round, even for the same tenant.
const wrapAad = (tenantId: string) => Buffer.from(`tenant-key:${tenantId}`, "utf8")
const valueAad = (tenantId: string) => Buffer.from(`tenant:${tenantId}`, "utf8")

/** `v1.<iv>.<ciphertext>.<tag>`, each base64url. */
const encrypt = (key: Uint8Array, plaintext: Uint8Array, aad: Buffer): string => {
  const iv = randomBytes(ivBytes)
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes })
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return [version, iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString("base64url")).join(".")
}

/** Throws unless `sealed` is exactly our format and authenticates under `key` and `aad`. */
const decrypt = (key: Uint8Array, sealed: string, aad: Buffer): Buffer => {
  const parts = sealed.split(".")
  if (parts.length !== 4 || parts[0] !== version) throw new Error("not a v1 sealed value")
  const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, "base64url"))
  // GCM would accept a shortened tag (down to 4 bytes), making forgeries cheap: insist on the full one.
  if (iv!.length !== ivBytes || tag!.length !== tagBytes) throw new Error("malformed sealed value")
  const decipher = createDecipheriv("aes-256-gcm", key, iv!, { authTagLength: tagBytes })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag!)
  return Buffer.concat([decipher.update(ciphertext!), decipher.final()])
}

/** Why it failed, never what it held: crypto errors carry no key or plaintext. */
const reason = (cause: unknown) => (cause instanceof Error ? cause.message : "unknown error")

export const make = (masterKey: Uint8Array) =>
  Effect.gen(function* () {
    if (masterKey.length !== keyBytes) {
      return yield* Effect.die(new Error(`the master key must be ${keyBytes} bytes, got ${masterKey.length}`))
    }
    const sql = yield* SqlClient.SqlClient

    // Unwrapped data keys in least-recently-used order (a Map iterates oldest first).
    const cache = new Map<string, Uint8Array>()
    // Bumped by every shred. A lookup that raced a shred (read the row before the delete,
    // finished after the eviction) must not put the dead key back, so it only caches when
    // no shred happened since it began. Global rather than per tenant: shreds are rare.
    let shreds = 0

    const cached = (tenantId: string) => {
      const key = cache.get(tenantId)
      if (key !== undefined) {
        cache.delete(tenantId)
        cache.set(tenantId, key)
      }
      return key
    }

    // Cached only once the row is committed: a key created inside a caller's transaction
    // that rolls back must not outlive its row, or values would be sealed under a key
    // nobody can load again.
    const remember = (tenantId: string, key: Uint8Array, since: number) =>
      sql.afterCommit(
        Effect.sync(() => {
          if (shreds !== since) return
          cache.delete(tenantId)
          cache.set(tenantId, key)
          if (cache.size > cacheLimit) cache.delete(cache.keys().next().value!)
        })
      )

    const unwrap = (tenantId: string, wrapped: string) =>
      Effect.try({
        try: () => {
          const key = new Uint8Array(decrypt(masterKey, wrapped, wrapAad(tenantId)))
          if (key.length !== keyBytes) throw new Error(`unwrapped ${key.length} bytes`)
          return key
        },
        catch: (cause) =>
          new Error(
            `cannot unwrap the data key of tenant ${tenantId} (wrong ENCRYPTION_KEY or a tampered row): ${reason(cause)}`
          )
      }).pipe(Effect.orDie)

    /** The tenant's data key, or undefined when it has none (never had one, or shredded). */
    const loadKey = Effect.fnUntraced(function* (tenantId: string) {
      const hit = cached(tenantId)
      if (hit !== undefined) return hit
      const since = shreds
      const rows = yield* sql<{ wrapped_key: string }>`
        SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ${tenantId}`.pipe(Effect.orDie)
      const row = rows[0]
      if (row === undefined) return undefined
      const key = yield* unwrap(tenantId, row.wrapped_key)
      yield* remember(tenantId, key, since)
      return key
    })

    /** The tenant's data key, made on first use. Racing first uses agree on one stored key. */
    const keyForSealing = Effect.fnUntraced(function* (tenantId: string) {
      const existing = yield* loadKey(tenantId)
      if (existing !== undefined) return existing
      const fresh = randomBytes(keyBytes)
      // The first insert wins; everyone, the losers included, then uses the stored key.
      yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key)
        VALUES (${tenantId}, ${encrypt(masterKey, fresh, wrapAad(tenantId))})
        ON CONFLICT (tenant_id) DO NOTHING`.pipe(Effect.orDie)
      const stored = yield* loadKey(tenantId)
      // Gone already: a shred ran between our insert and our read, so the tenant is being deleted.
      if (stored === undefined) return yield* new SecretShredded({ tenantId })
      return stored
    })

    const seal = Effect.fn("SecretBox.seal")(function* (tenantId: string, plaintext: string) {
      const key = yield* keyForSealing(tenantId)
      return encrypt(key, Buffer.from(plaintext, "utf8"), valueAad(tenantId))
    })

    const open = Effect.fn("SecretBox.open")(function* (tenantId: string, sealed: string) {
      const key = yield* loadKey(tenantId)
      if (key === undefined) return yield* new SecretShredded({ tenantId })
      return yield* Effect.try({
        try: () => decrypt(key, sealed, valueAad(tenantId)).toString("utf8"),
        catch: (cause) => new Error(`a value sealed for tenant ${tenantId} does not open: ${reason(cause)}`)
      }).pipe(Effect.orDie)
    })

    // Made under the data key (a key absent is made, as for sealing) so it dies with it.
    // The `fingerprint:` prefix keeps the HMAC input apart from anything else keyed so.
    const fingerprint = Effect.fn("SecretBox.fingerprint")(function* (tenantId: string, text: string) {
      const key = yield* keyForSealing(tenantId).pipe(
        // Only a shred racing the first use gets here; the next call makes a fresh key.
        Effect.catchTag("SecretShredded", (error) => Effect.die(error))
      )
      return createHmac("sha256", key).update(`fingerprint:${text}`, "utf8").digest("base64url")
    })

    const evict = (tenantId: string) =>
      Effect.sync(() => {
        shreds++
        cache.delete(tenantId)
      })

    const shred = Effect.fn("SecretBox.shred")(function* (tenantId: string) {
      yield* evict(tenantId)
      yield* sql`DELETE FROM tenant_keys WHERE tenant_id = ${tenantId}`.pipe(Effect.orDie)
      // Inside a caller's transaction the row stays visible to others until commit; evict
      // again then, in case a lookup cached it meanwhile.
      yield* sql.afterCommit(evict(tenantId))
    })

    return SecretBox.of({ seal, open, fingerprint, shred })
  })

/** The SecretBox on the SQL database, under `masterKey` (32 bytes). */
export const layer = (masterKey: Uint8Array) => Layer.effect(SecretBox, make(masterKey))
