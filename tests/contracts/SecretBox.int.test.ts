import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as SqlSecretBox from "../../adapters/crypto/SqlSecretBox.ts"
import { SecretBox, SecretShredded } from "../../application/ports/SecretBox.ts"
import { databaseTargets } from "../support/databases.ts"

const masterKey = new Uint8Array(32).fill(7)
const tenant = () => `tnt_${Math.random().toString(36).slice(2, 14).padEnd(12, "0")}`
const sealedShape = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/

/** Does not open: a defect (see SqlSecretBox: our own sealed values failing to open is never a business case). */
const assertDoesNotOpen = <A, E>(exit: Exit.Exit<A, E>, label: string) => {
  assert.isTrue(Exit.isFailure(exit), `${label}: expected it not to open`)
  if (Exit.isFailure(exit)) assert.isTrue(Cause.hasDies(exit.cause), `${label}: expected a defect`)
}

const assertShredded = <A, E>(exit: Exit.Exit<A, E>, tenantId: string) => {
  assert.isTrue(Exit.isFailure(exit), "expected SecretShredded")
  if (Exit.isFailure(exit)) {
    const failure = exit.cause.reasons.find(Cause.isFailReason)?.error
    assert.instanceOf(failure, SecretShredded)
    assert.strictEqual((failure as SecretShredded).tenantId, tenantId)
  }
}

const wrappedKeys = (tenantId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ wrapped_key: string }>`
      SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ${tenantId}`
    return rows.map((row) => row.wrapped_key)
  })

/** Another node on the same database: its own empty key cache. */
const coldBox = (key: Uint8Array = masterKey) => SqlSecretBox.make(key)

const swapFirstChar = (part: string) => `${part.startsWith("A") ? "B" : "A"}${part.slice(1)}`

for (const target of databaseTargets) {
  const box = SqlSecretBox.layer(masterKey).pipe(Layer.provideMerge(target.layer()))
  layer(box, { excludeTestServices: true, timeout: 60_000 })(`SecretBox: ${target.name}`, (it) => {
    it.effect(
      "given any text (empty, unicode, 64 KiB), when sealed and opened, then the same text comes back, also on a node with a cold cache",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const other = yield* coldBox()
          const tenantId = tenant()
          for (const plaintext of ["", "s3cr3t-token", "ünïcødé ✓ 🔑 \u0000 end", "x".repeat(64 * 1024)]) {
            const sealed = yield* secrets.seal(tenantId, plaintext)
            assert.match(sealed, sealedShape)
            assert.strictEqual(yield* secrets.open(tenantId, sealed), plaintext)
            assert.strictEqual(yield* other.open(tenantId, sealed), plaintext)
          }
        })
    )

    it.effect(
      "given the same text sealed twice, then the two sealed values differ (a fresh IV each time)",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const tenantId = tenant()
          const a = yield* secrets.seal(tenantId, "same")
          const b = yield* secrets.seal(tenantId, "same")
          assert.notStrictEqual(a, b)
          assert.notStrictEqual(a.split(".")[1], b.split(".")[1])
        })
    )

    it.effect("given a sealed value, then it contains neither the text nor any plain encoding of it", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretBox
        const tenantId = tenant()
        const plaintext = "sk_live_do-not-leak-this-token-0123456789"
        const sealed = yield* secrets.seal(tenantId, plaintext)
        for (const encoding of ["utf8", "base64", "base64url", "hex"] as const) {
          assert.notInclude(sealed, Buffer.from(plaintext, "utf8").toString(encoding), encoding)
        }
        const [stored] = yield* wrappedKeys(tenantId)
        assert.notInclude(stored!, plaintext)
      })
    )

    it.effect("given a value sealed for tenant A, when opened as tenant B, then it does not open", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretBox
        const [a, b] = [tenant(), tenant()]
        const sealed = yield* secrets.seal(a, "for A only")
        yield* secrets.seal(b, "B has a key too")
        assertDoesNotOpen(yield* Effect.exit(secrets.open(b, sealed)), "as B")
        assert.strictEqual(yield* secrets.open(a, sealed), "for A only")
      })
    )

    it.effect(
      "given a sealed value, when its IV, ciphertext, tag or framing is tampered with, then it does not open",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const tenantId = tenant()
          const sealed = yield* secrets.seal(tenantId, "untouchable")
          const [version, iv, ciphertext, tag] = sealed.split(".") as [string, string, string, string]
          const tampered: Record<string, string> = {
            iv: [version, swapFirstChar(iv), ciphertext, tag].join("."),
            ciphertext: [version, iv, swapFirstChar(ciphertext), tag].join("."),
            tag: [version, iv, ciphertext, swapFirstChar(tag)].join("."),
            "truncated tag": [version, iv, ciphertext, tag.slice(0, 6)].join("."),
            "no tag": [version, iv, ciphertext].join("."),
            "extra part": `${sealed}.AAAA`,
            "unknown version": ["v2", iv, ciphertext, tag].join("."),
            "not sealed at all": "untouchable"
          }
          for (const [label, value] of Object.entries(tampered)) {
            assertDoesNotOpen(yield* Effect.exit(secrets.open(tenantId, value)), label)
          }
          assert.strictEqual(yield* secrets.open(tenantId, sealed), "untouchable")
        })
    )

    it.effect(
      "given a shredded tenant, when opening its values, then SecretShredded and its key row is gone",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const other = yield* coldBox()
          const tenantId = tenant()
          const sealed = yield* secrets.seal(tenantId, "doomed")
          assert.strictEqual(yield* other.open(tenantId, sealed), "doomed")
          yield* secrets.shred(tenantId)
          assert.deepStrictEqual(yield* wrappedKeys(tenantId), [])
          assertShredded(yield* Effect.exit(secrets.open(tenantId, sealed)), tenantId)
          assertShredded(yield* Effect.exit((yield* coldBox()).open(tenantId, sealed)), tenantId)
          yield* secrets.shred(tenantId)
        })
    )

    it.effect(
      "given a shredded tenant, when sealing again, then a fresh key is made and older values stay unreadable",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const tenantId = tenant()
          const old = yield* secrets.seal(tenantId, "before")
          const [oldKey] = yield* wrappedKeys(tenantId)
          yield* secrets.shred(tenantId)
          const fresh = yield* secrets.seal(tenantId, "after")
          const keys = yield* wrappedKeys(tenantId)
          assert.strictEqual(keys.length, 1)
          assert.notStrictEqual(keys[0], oldKey)
          assert.strictEqual(yield* secrets.open(tenantId, fresh), "after")
          assertDoesNotOpen(yield* Effect.exit(secrets.open(tenantId, old)), "old value, new key")
        })
    )

    it.effect(
      "given concurrent first seals for one tenant, then exactly one data key exists and every value opens",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const nodes = [secrets, yield* coldBox(), yield* coldBox()]
          const tenantId = tenant()
          const values = Array.from({ length: 30 }, (_, i) => `value-${i}`)
          const sealed = yield* Effect.forEach(
            values,
            (value, i) => nodes[i % nodes.length]!.seal(tenantId, value),
            {
              concurrency: "unbounded"
            }
          )
          assert.strictEqual((yield* wrappedKeys(tenantId)).length, 1)
          const opened = yield* Effect.forEach(sealed, (value) => secrets.open(tenantId, value))
          assert.deepStrictEqual(opened, values)
        })
    )

    it.effect(
      "given a first seal inside a transaction that rolls back, when sealing again, then the key used is the one stored",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const sql = yield* SqlClient.SqlClient
          const tenantId = tenant()
          yield* sql
            .withTransaction(
              Effect.andThen(secrets.seal(tenantId, "rolled back"), Effect.fail("abort" as const))
            )
            .pipe(Effect.exit)
          assert.deepStrictEqual(yield* wrappedKeys(tenantId), [])
          const sealed = yield* secrets.seal(tenantId, "kept")
          assert.strictEqual((yield* wrappedKeys(tenantId)).length, 1)
          assert.strictEqual(yield* (yield* coldBox()).open(tenantId, sealed), "kept")
        })
    )

    it.effect("given a key row wrapped under another master key, when opening, then it does not open", () =>
      Effect.gen(function* () {
        const secrets = yield* SecretBox
        const tenantId = tenant()
        const sealed = yield* secrets.seal(tenantId, "mine")
        const stranger = yield* coldBox(new Uint8Array(32).fill(9))
        assertDoesNotOpen(yield* Effect.exit(stranger.open(tenantId, sealed)), "wrong master key")
      })
    )

    it.effect(
      "given the same text, then its fingerprint is stable per tenant, differs across tenants, and dies with the key",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const [a, b] = [tenant(), tenant()]
          const once = yield* secrets.fingerprint(a, "user@example.com")
          assert.strictEqual(yield* secrets.fingerprint(a, "user@example.com"), once)
          assert.strictEqual(yield* (yield* coldBox()).fingerprint(a, "user@example.com"), once)
          assert.notStrictEqual(yield* secrets.fingerprint(a, "other@example.com"), once)
          assert.notStrictEqual(yield* secrets.fingerprint(b, "user@example.com"), once)
          assert.notInclude(once, "user@example.com")
          yield* secrets.shred(a)
          assert.notStrictEqual(yield* secrets.fingerprint(a, "user@example.com"), once)
        })
    )
  })
}
