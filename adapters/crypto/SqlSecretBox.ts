import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { SecretBox, SecretShredded } from "../../application/ports/SecretBox.ts"
import { AppendSignal, type Stamp } from "../sql/AppendSignal.ts"

/**
 * Envelope encryption with crypto-shredding.
 *
 * Each tenant has a random 256-bit data key, stored in `tenant_keys` wrapped by the
 * master key. Values are sealed under the data key. Both layers are AES-256-GCM with a
 * random 96-bit IV and the tenant id in the associated data, so neither a wrapped key
 * nor a sealed value can be moved to another tenant.
 *
 * Shredding is part of the tenant's deletion: the `tenant_keys` inline projection
 * (`adapters/sql/projections/tenantKeys.ts`) replaces the key with a tombstone in the
 * deletion's own transaction, leaving every value sealed for the tenant unreadable,
 * copies in the event log too. A key is only ever made by an insert on that same row, so
 * a tombstoned tenant never gets one again (`SecretShredded` instead). Unwrapped keys are
 * cached per node until a `TenantDeleted` is heard of (appended here, or another node's
 * NOTIFY) and at most `AppendSignal.cacheTtlMillis`, in case a NOTIFY is never heard.
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
/** The only event that can take a key away. */
const deletions: ReadonlySet<string> = new Set(["TenantDeleted"])
const shredded = Symbol("shredded")

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
    // Global rather than per tenant: deletions are rare, and a key costs one SELECT to reload.
    const freshness = (yield* AppendSignal).freshness(deletions)

    // Unwrapped data keys in least-recently-used order (a Map iterates oldest first).
    const cache = new Map<string, { readonly key: Uint8Array; readonly stamp: Stamp }>()

    const cached = (tenantId: string) => {
      const hit = cache.get(tenantId)
      if (hit === undefined) return undefined
      cache.delete(tenantId)
      if (!freshness.isFresh(hit.stamp)) return undefined
      cache.set(tenantId, hit)
      return hit.key
    }

    // Cached only once the row is committed: a key created inside a caller's transaction
    // that rolls back must not outlive its row, or values would be sealed under a key
    // nobody can load again. The stamp was taken before the read, so a key read just
    // before a deletion committed is stale as soon as that deletion is heard of.
    const remember = (tenantId: string, key: Uint8Array, stamp: Stamp) =>
      sql.afterCommit(
        Effect.sync(() => {
          cache.delete(tenantId)
          cache.set(tenantId, { key, stamp })
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

    /** The tenant's data key; `undefined` when it never had one; `shredded` for a deleted tenant. */
    const loadKey = Effect.fnUntraced(function* (tenantId: string) {
      const hit = cached(tenantId)
      if (hit !== undefined) return hit
      const stamp = freshness.stamp()
      const rows = yield* sql<{ wrapped_key: string | null }>`
        SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ${tenantId}`.pipe(Effect.orDie)
      const row = rows[0]
      if (row === undefined) return undefined
      if (row.wrapped_key === null) return shredded
      const key = yield* unwrap(tenantId, row.wrapped_key)
      yield* remember(tenantId, key, stamp)
      return key
    })

    /** The tenant's data key, made on first use. Racing first uses agree on one stored key. */
    const keyForSealing = Effect.fnUntraced(function* (tenantId: string) {
      const existing = yield* loadKey(tenantId)
      if (existing === shredded) return yield* new SecretShredded({ tenantId })
      if (existing !== undefined) return existing
      const fresh = randomBytes(keyBytes)
      // The first insert wins; everyone, the losers included, then uses the stored key. A
      // tombstone is a row too, so this never brings a shredded tenant's key back: an insert
      // racing the deletion waits for it on the primary key, then does nothing.
      yield* sql`INSERT INTO tenant_keys (tenant_id, wrapped_key)
        VALUES (${tenantId}, ${encrypt(masterKey, fresh, wrapAad(tenantId))})
        ON CONFLICT (tenant_id) DO NOTHING`.pipe(Effect.orDie)
      const stored = yield* loadKey(tenantId)
      if (stored === shredded || stored === undefined) return yield* new SecretShredded({ tenantId })
      return stored
    })

    const seal = Effect.fn("SecretBox.seal")(function* (tenantId: string, plaintext: string) {
      const key = yield* keyForSealing(tenantId)
      return encrypt(key, Buffer.from(plaintext, "utf8"), valueAad(tenantId))
    })

    const open = Effect.fn("SecretBox.open")(function* (tenantId: string, sealed: string) {
      const key = yield* loadKey(tenantId)
      if (key === undefined || key === shredded) return yield* new SecretShredded({ tenantId })
      return yield* Effect.try({
        try: () => decrypt(key, sealed, valueAad(tenantId)).toString("utf8"),
        catch: (cause) => new Error(`a value sealed for tenant ${tenantId} does not open: ${reason(cause)}`)
      }).pipe(Effect.orDie)
    })

    // Made under the data key (a key absent is made, as for sealing) so it dies with it.
    // The `fingerprint:` prefix keeps the HMAC input apart from anything else keyed so.
    const fingerprint = Effect.fn("SecretBox.fingerprint")(function* (tenantId: string, text: string) {
      const key = yield* keyForSealing(tenantId)
      return createHmac("sha256", key).update(`fingerprint:${text}`, "utf8").digest("base64url")
    })

    return SecretBox.of({ seal, open, fingerprint })
  })

/** The SecretBox on the SQL database, under `masterKey` (32 bytes); needs the database's `AppendSignal`. */
export const layer = (masterKey: Uint8Array) => Layer.effect(SecretBox, make(masterKey))
