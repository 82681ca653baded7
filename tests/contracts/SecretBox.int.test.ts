import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import * as SqlSecretBox from "../../adapters/crypto/SqlSecretBox.ts"
import { SecretBox } from "../../application/ports/SecretBox.ts"
import { databaseTargets } from "../support/databases.ts"

const masterKey = new Uint8Array(32).fill(7)
const tenant = () => `tnt_${Math.random().toString(36).slice(2, 14).padEnd(12, "0")}`

for (const target of databaseTargets) {
  const box = SqlSecretBox.layer(masterKey).pipe(Layer.provideMerge(target.layer()))
  layer(box, { excludeTestServices: true, timeout: 60_000 })(`SecretBox: ${target.name}`, (it) => {
    it.effect(
      "given any text, when sealed and opened, then it comes back; the sealed form never contains it",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const tenantId = tenant()
          for (const plaintext of ["", "s3cr3t-token", "ünïcødé ✓ 🔑", "x".repeat(64 * 1024)]) {
            const sealed = yield* secrets.seal(tenantId, plaintext)
            if (plaintext.length > 0) assert.notInclude(sealed, plaintext)
            assert.strictEqual(yield* secrets.open(tenantId, sealed), plaintext)
          }
          const a = yield* secrets.seal(tenantId, "same")
          const b = yield* secrets.seal(tenantId, "same")
          assert.notStrictEqual(a, b, "a fresh IV every time")
        })
    )

    it.effect(
      "given a value sealed for tenant A, when opened as tenant B or tampered with, then it does not open",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const [a, b] = [tenant(), tenant()]
          const sealed = yield* secrets.seal(a, "for A only")
          yield* secrets.seal(b, "B has a key too")
          assert.isTrue(Exit.isFailure(yield* Effect.exit(secrets.open(b, sealed))))
          const parts = sealed.split(".")
          const flipped = parts[2]!.startsWith("A") ? `B${parts[2]!.slice(1)}` : `A${parts[2]!.slice(1)}`
          const tampered = [parts[0], parts[1], flipped, parts[3]].join(".")
          assert.isTrue(Exit.isFailure(yield* Effect.exit(secrets.open(a, tampered))))
        })
    )

    it.effect(
      "given a shredded tenant, then its old values are unreadable for good, even after a new key is made",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const sql = yield* SqlClient.SqlClient
          const tenantId = tenant()
          const sealed = yield* secrets.seal(tenantId, "doomed")
          yield* secrets.shred(tenantId)
          const rows = yield* sql`SELECT 1 FROM tenant_keys WHERE tenant_id = ${tenantId}`
          assert.strictEqual(rows.length, 0)
          const exit = yield* Effect.exit(secrets.open(tenantId, sealed))
          assert.include(JSON.stringify(exit), "SecretShredded")
          yield* secrets.seal(tenantId, "a new life")
          assert.isTrue(Exit.isFailure(yield* Effect.exit(secrets.open(tenantId, sealed))))
        })
    )

    it.effect(
      "given concurrent first seals for one tenant, then exactly one data key exists and every value opens",
      () =>
        Effect.gen(function* () {
          const secrets = yield* SecretBox
          const sql = yield* SqlClient.SqlClient
          const tenantId = tenant()
          const sealed = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, i) => `value-${i}`),
            (value) => secrets.seal(tenantId, value),
            { concurrency: "unbounded" }
          )
          const keys = yield* sql`SELECT wrapped_key FROM tenant_keys WHERE tenant_id = ${tenantId}`
          assert.strictEqual(keys.length, 1)
          const opened = yield* Effect.forEach(sealed, (value) => secrets.open(tenantId, value))
          assert.deepStrictEqual(
            opened,
            Array.from({ length: 20 }, (_, i) => `value-${i}`)
          )
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
          assert.notStrictEqual(yield* secrets.fingerprint(b, "user@example.com"), once)
          assert.notInclude(once, "user@example.com")
          yield* secrets.shred(a)
          assert.notStrictEqual(yield* secrets.fingerprint(a, "user@example.com"), once)
        })
    )
  })
}
