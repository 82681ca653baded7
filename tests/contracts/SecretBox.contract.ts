import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, type Layer } from "effect"
import { type SecretBox, SecretShredded } from "../../application/ports/SecretBox.ts"

/** What a SecretBox implementation hands the contract, besides the box itself. */
export interface SecretBoxSubject<R> {
  /** Provides everything the hooks below need (the box is made by `node`). */
  readonly layer: Layer.Layer<R, unknown>
  /**
   * A node of the box on the shared storage, with caches of its own (a cold cache when
   * new), under `masterKey`. Nodes made from one layer also share what the storage tells
   * its nodes (a deletion is heard by all of them).
   */
  readonly node: (masterKey: Uint8Array) => Effect.Effect<SecretBox["Service"], never, R>
  /** Deletes the tenant the way the application does; its key is shredded as part of it. */
  readonly deleteTenant: (tenantId: string) => Effect.Effect<void, never, R>
  /** The tenant's usable data keys as stored (wrapped), for the checks no port call can make. */
  readonly storedKeys: (tenantId: string) => Effect.Effect<ReadonlyArray<string>, never, R>
  /** Runs `effect` in a storage transaction, then rolls the transaction back. */
  readonly rolledBack: <A, E>(effect: Effect.Effect<A, E, R>) => Effect.Effect<void, never, R>
}

const masterKey = new Uint8Array(32).fill(7)
const otherMasterKey = new Uint8Array(32).fill(9)
const tenant = () => `tnt_${Math.random().toString(36).slice(2, 14).padEnd(12, "0")}`
const sealedShape = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/
const swapFirstChar = (part: string) => `${part.startsWith("A") ? "B" : "A"}${part.slice(1)}`

/** Does not open: a defect (our own sealed values failing to open is never a business case). */
const assertDoesNotOpen = <A, E>(exit: Exit.Exit<A, E>, label: string) => {
  assert.isTrue(Exit.isFailure(exit), `${label}: expected it not to open`)
  if (Exit.isFailure(exit)) assert.isTrue(Cause.hasDies(exit.cause), `${label}: expected a defect`)
}

const assertShredded = <A, E>(exit: Exit.Exit<A, E>, tenantId: string, label = "") => {
  assert.isTrue(Exit.isFailure(exit), `${label} expected SecretShredded, got ${JSON.stringify(exit)}`)
  if (Exit.isFailure(exit)) {
    const failure = exit.cause.reasons.find(Cause.isFailReason)?.error
    assert.instanceOf(failure, SecretShredded, label)
    assert.strictEqual((failure as SecretShredded).tenantId, tenantId)
  }
}

/**
 * What every SecretBox must do (see SecretBox.int.test.ts): seal and open, per tenant,
 * refusing anything tampered with; keyed fingerprints; one key per tenant however many
 * first uses race; and shredding with the tenant's deletion, on every node, for good.
 */
export const secretBoxContract = <R>(
  name: string,
  subject: Pick<SecretBoxSubject<R>, "layer"> & Omit<SecretBoxSubject<NoInfer<R>>, "layer">
) =>
  layer(subject.layer, { excludeTestServices: true, timeout: 60_000 })(
    `SecretBox contract: ${name}`,
    (it) => {
      const node = subject.node(masterKey)

      it.effect(
        "given any text (empty, unicode, 64 KiB), when sealed and opened, then the same text comes back, also on a node with a cold cache",
        () =>
          Effect.gen(function* () {
            const [secrets, other] = [yield* node, yield* node]
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
            const secrets = yield* node
            const tenantId = tenant()
            const a = yield* secrets.seal(tenantId, "same")
            const b = yield* secrets.seal(tenantId, "same")
            assert.notStrictEqual(a, b)
            assert.notStrictEqual(a.split(".")[1], b.split(".")[1])
          })
      )

      it.effect(
        "given a sealed value, then neither it nor the stored key contains the text in any plain encoding",
        () =>
          Effect.gen(function* () {
            const secrets = yield* node
            const tenantId = tenant()
            const plaintext = "sk_live_do-not-leak-this-token-0123456789"
            const sealed = yield* secrets.seal(tenantId, plaintext)
            for (const encoding of ["utf8", "base64", "base64url", "hex"] as const) {
              assert.notInclude(sealed, Buffer.from(plaintext, "utf8").toString(encoding), encoding)
            }
            const [stored] = yield* subject.storedKeys(tenantId)
            assert.notInclude(stored!, plaintext)
          })
      )

      it.effect("given a value sealed for tenant A, when opened as tenant B, then it does not open", () =>
        Effect.gen(function* () {
          const secrets = yield* node
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
            const secrets = yield* node
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
        "given a stored key wrapped under another master key, when opening, then it does not open",
        () =>
          Effect.gen(function* () {
            const tenantId = tenant()
            const sealed = yield* (yield* node).seal(tenantId, "mine")
            const stranger = yield* subject.node(otherMasterKey)
            assertDoesNotOpen(yield* Effect.exit(stranger.open(tenantId, sealed)), "wrong master key")
          })
      )

      it.effect(
        "given the same text, then its fingerprint is stable per tenant and across nodes, differs across tenants and texts, and hides the text",
        () =>
          Effect.gen(function* () {
            const secrets = yield* node
            const [a, b] = [tenant(), tenant()]
            const once = yield* secrets.fingerprint(a, "user@example.com")
            assert.strictEqual(yield* secrets.fingerprint(a, "user@example.com"), once)
            assert.strictEqual(yield* (yield* node).fingerprint(a, "user@example.com"), once)
            assert.notStrictEqual(yield* secrets.fingerprint(a, "other@example.com"), once)
            assert.notStrictEqual(yield* secrets.fingerprint(b, "user@example.com"), once)
            assert.notInclude(once, "user@example.com")
          })
      )

      it.effect(
        "given concurrent first seals for one tenant on three nodes, then exactly one data key exists and every value opens",
        () =>
          Effect.gen(function* () {
            const nodes = [yield* node, yield* node, yield* node]
            const tenantId = tenant()
            const values = Array.from({ length: 30 }, (_, i) => `value-${i}`)
            const sealed = yield* Effect.forEach(
              values,
              (value, i) => nodes[i % nodes.length]!.seal(tenantId, value),
              {
                concurrency: "unbounded"
              }
            )
            assert.strictEqual((yield* subject.storedKeys(tenantId)).length, 1)
            const opened = yield* Effect.forEach(sealed, (value, i) =>
              nodes[(i + 1) % nodes.length]!.open(tenantId, value)
            )
            assert.deepStrictEqual(opened, values)
          })
      )

      it.effect(
        "given a first seal inside a transaction that rolls back, when sealing again, then the key used is the one stored",
        () =>
          Effect.gen(function* () {
            const secrets = yield* node
            const tenantId = tenant()
            yield* subject.rolledBack(secrets.seal(tenantId, "rolled back"))
            assert.deepStrictEqual(yield* subject.storedKeys(tenantId), [])
            const sealed = yield* secrets.seal(tenantId, "kept")
            assert.strictEqual((yield* subject.storedKeys(tenantId)).length, 1)
            assert.strictEqual(yield* (yield* node).open(tenantId, sealed), "kept")
          })
      )

      it.effect(
        "given a deleted tenant, when opening its values on a node that had its key cached and on a cold one, then SecretShredded, and no usable key is stored",
        () =>
          Effect.gen(function* () {
            const [secrets, warm] = [yield* node, yield* node]
            const tenantId = tenant()
            const sealed = yield* secrets.seal(tenantId, "doomed")
            assert.strictEqual(yield* warm.open(tenantId, sealed), "doomed")
            yield* subject.deleteTenant(tenantId)
            assert.deepStrictEqual(yield* subject.storedKeys(tenantId), [])
            assertShredded(yield* Effect.exit(secrets.open(tenantId, sealed)), tenantId, "the sealing node:")
            assertShredded(
              yield* Effect.exit(warm.open(tenantId, sealed)),
              tenantId,
              "a node with the key cached:"
            )
            assertShredded(yield* Effect.exit((yield* node).open(tenantId, sealed)), tenantId, "a cold node:")
          })
      )

      it.effect(
        "given a deleted tenant, when sealing or fingerprinting for it again, then SecretShredded (or a defect) and no key is ever made",
        () =>
          Effect.gen(function* () {
            const secrets = yield* node
            const tenantId = tenant()
            yield* secrets.seal(tenantId, "before")
            yield* subject.deleteTenant(tenantId)
            assertShredded(yield* Effect.exit(secrets.seal(tenantId, "after")), tenantId, "seal:")
            assertShredded(
              yield* Effect.exit((yield* node).seal(tenantId, "after")),
              tenantId,
              "seal, cold node:"
            )
            const fingerprint = yield* Effect.exit(secrets.fingerprint(tenantId, "user@example.com"))
            assert.isTrue(Exit.isFailure(fingerprint), "a fingerprint needs the key")
            assert.deepStrictEqual(yield* subject.storedKeys(tenantId), [])
          })
      )

      it.effect(
        "given a tenant deleted before it ever had a key, when sealing for it, then SecretShredded and no key is made",
        () =>
          Effect.gen(function* () {
            const tenantId = tenant()
            yield* subject.deleteTenant(tenantId)
            assertShredded(yield* Effect.exit((yield* node).seal(tenantId, "too late")), tenantId)
            assert.deepStrictEqual(yield* subject.storedKeys(tenantId), [])
          })
      )

      it.effect(
        "given a deletion that rolls back, then the key survives; given it commits, then the key is gone with no further call",
        () =>
          Effect.gen(function* () {
            const secrets = yield* node
            const tenantId = tenant()
            const sealed = yield* secrets.seal(tenantId, "kept until deleted")
            yield* subject.rolledBack(subject.deleteTenant(tenantId))
            assert.strictEqual(yield* secrets.open(tenantId, sealed), "kept until deleted")
            assert.strictEqual((yield* subject.storedKeys(tenantId)).length, 1)
            yield* subject.deleteTenant(tenantId)
            assertShredded(yield* Effect.exit(secrets.open(tenantId, sealed)), tenantId)
          })
      )

      it.effect(
        "given first seals on three nodes racing the tenant's deletion, then afterwards no key is stored, nothing sealed opens, and sealing fails",
        () =>
          Effect.gen(function* () {
            const nodes = [yield* node, yield* node, yield* node]
            for (let round = 0; round < 5; round++) {
              const tenantId = tenant()
              const seals = Array.from({ length: 24 }, (_, i) =>
                Effect.exit(nodes[i % nodes.length]!.seal(tenantId, `value-${i}`))
              )
              const deletion = Effect.as(subject.deleteTenant(tenantId), undefined)
              const exits = yield* Effect.all([...seals.slice(0, 12), deletion, ...seals.slice(12)], {
                concurrency: "unbounded"
              })
              assert.deepStrictEqual(
                yield* subject.storedKeys(tenantId),
                [],
                `round ${round}: a key outlived the deletion`
              )
              for (const exit of exits) {
                if (exit === undefined) continue
                if (Exit.isSuccess(exit))
                  assertShredded(yield* Effect.exit(nodes[0]!.open(tenantId, exit.value)), tenantId)
                else assertShredded(exit, tenantId, `round ${round}, a seal racing the deletion:`)
              }
              for (const each of nodes)
                assertShredded(yield* Effect.exit(each.seal(tenantId, "later")), tenantId)
              assert.deepStrictEqual(yield* subject.storedKeys(tenantId), [])
            }
          })
      )
    }
  )
