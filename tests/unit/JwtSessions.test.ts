import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type JWK,
  type JWTPayload,
  SignJWT
} from "jose"
import { devKeyFileName, loadOrCreateDevKeys, mintDevToken } from "../../adapters/auth/devKeys.ts"
import { type JwtSessionsConfig, make } from "../../adapters/auth/JwtSessions.ts"
import { makeVerdictCache, tokenKey } from "../../adapters/auth/VerdictCache.ts"
import { InvalidSession, type Session } from "../../application/ports/Sessions.ts"

/** A fixed "now" (2027-01-15), set on the TestClock so tokens and verifier agree on time. */
const now = 1_800_000_000
const atNow = TestClock.setTime(now * 1000)

type Alg = "RS256" | "ES256"

interface TestKey {
  readonly alg: Alg
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly pem: string
  readonly jwk: JWK
}

const makeKey = async (alg: Alg, kid: string): Promise<TestKey> => {
  const pair = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" }
  return { alg, kid, privateKey: pair.privateKey, pem: await exportSPKI(pair.publicKey), jwk }
}

const rsa = await makeKey("RS256", "rsa-1")
const ec = await makeKey("ES256", "ec-1")
const otherRsa = await makeKey("RS256", "rsa-1")
const otherEc = await makeKey("ES256", "ec-1")

/**
 * Signs `claims` (default: a valid session for user_1, an hour long) with `key`; a claim
 * given as undefined is left out.
 */
const sign = (key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  Effect.promise(() =>
    new SignJWT({ sub: "user_1", exp: now + 3600, iat: now, ...claims } as JWTPayload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(key.privateKey)
  )

/** An unsigned or hand-built token: header and payload as given, signature as given. */
const forge = (header: object, payload: object, signature = "") =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`

const verifyWith = (config: JwtSessionsConfig, token: string) =>
  Effect.gen(function* () {
    const sessions = yield* make(config)
    return yield* sessions.verify(token)
  })

/** The reason an InvalidSession gives; fails the test on success or on another error. */
const refusal = <R>(effect: Effect.Effect<Session, unknown, R>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(effect)
    assert.instanceOf(error, InvalidSession)
    return (error as InvalidSession).reason
  })

const keyForms = (key: TestKey): ReadonlyArray<[string, string]> => [
  ["PEM", key.pem],
  ["JWK", JSON.stringify(key.jwk)],
  ["JWKS", JSON.stringify({ keys: [key.jwk] })]
]

describe("JwtSessions", () => {
  describe("given a valid token", () => {
    for (const key of [rsa, ec]) {
      for (const [form, publicKey] of keyForms(key)) {
        it.effect(
          `when verifying a ${key.alg} token against a ${form} key, then the session carries its claims`,
          () =>
            Effect.gen(function* () {
              yield* atNow
              const token = yield* sign(key, { sub: "user_42", email: "ada@example.com" })
              const session = yield* verifyWith({ publicKey }, token)
              assert.deepStrictEqual(session, {
                userId: "user_42",
                email: "ada@example.com",
                expiresAt: now + 3600
              })
            })
        )
      }
    }

    it.effect("when the email claim is absent or not a string, then the session has no email", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make({ publicKey: ec.pem })
        assert.isUndefined((yield* sessions.verify(yield* sign(ec))).email)
        assert.isUndefined((yield* sessions.verify(yield* sign(ec, { email: 42 }))).email)
      })
    )

    it.effect("when a PEM arrives with literal \\n escapes (a one-line env var), then it still works", () =>
      Effect.gen(function* () {
        yield* atNow
        const session = yield* verifyWith({ publicKey: rsa.pem.replaceAll("\n", "\\n") }, yield* sign(rsa))
        assert.strictEqual(session.userId, "user_1")
      })
    )
  })

  describe("given time-bound claims", () => {
    it.effect("when the token has expired, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(rsa, { exp: now - 60 })
        assert.strictEqual(yield* refusal(verifyWith({ publicKey: rsa.pem }, token)), "token expired")
      })
    )

    it.effect("when the token expired a second ago and no tolerance is configured, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(rsa, { exp: now - 1 })
        assert.strictEqual(yield* refusal(verifyWith({ publicKey: rsa.pem }, token)), "token expired")
      })
    )

    it.effect("when the token expired within the clock tolerance, then it is still accepted", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(rsa, { exp: now - 3 })
        const session = yield* verifyWith({ publicKey: rsa.pem, clockToleranceSeconds: 5 }, token)
        assert.strictEqual(session.expiresAt, now - 3)
        assert.strictEqual(
          yield* refusal(verifyWith({ publicKey: rsa.pem, clockToleranceSeconds: 0 }, token)),
          "token expired"
        )
      })
    )

    it.effect("when nbf is in the future, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(ec, { nbf: now + 600 })
        assert.strictEqual(yield* refusal(verifyWith({ publicKey: ec.pem }, token)), "token not yet valid")
      })
    )

    it.effect("when nbf is in the past, then it is accepted", () =>
      Effect.gen(function* () {
        yield* atNow
        const session = yield* verifyWith({ publicKey: ec.pem }, yield* sign(ec, { nbf: now - 10 }))
        assert.strictEqual(session.userId, "user_1")
      })
    )

    it.effect("when exp is missing or not a number, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make({ publicKey: ec.pem })
        assert.strictEqual(
          yield* refusal(sessions.verify(yield* sign(ec, { exp: undefined }))),
          "missing exp claim"
        )
        assert.strictEqual(
          yield* refusal(sessions.verify(yield* sign(ec, { exp: "tomorrow" }))),
          "invalid exp claim"
        )
      })
    )
  })

  describe("given an issuer and authorized parties are configured", () => {
    const config = {
      publicKey: rsa.pem,
      issuer: "https://clerk.example.com",
      authorizedParties: ["https://app.example.com"]
    }

    it.effect("when iss and azp match, or azp is absent, then the token is accepted", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make(config)
        yield* sessions.verify(yield* sign(rsa, { iss: config.issuer, azp: "https://app.example.com" }))
        yield* sessions.verify(yield* sign(rsa, { iss: config.issuer }))
      })
    )

    it.effect("when iss is another issuer or missing, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make(config)
        assert.strictEqual(
          yield* refusal(sessions.verify(yield* sign(rsa, { iss: "https://evil.example.com" }))),
          "unexpected issuer"
        )
        assert.strictEqual(yield* refusal(sessions.verify(yield* sign(rsa))), "missing iss claim")
      })
    )

    it.effect("when azp is not an authorized party, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make(config)
        for (const azp of ["https://evil.example.com", 7]) {
          assert.strictEqual(
            yield* refusal(sessions.verify(yield* sign(rsa, { iss: config.issuer, azp }))),
            "unauthorized party"
          )
        }
      })
    )

    it.effect("when neither is configured, then iss and azp are not checked", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(rsa, {
          iss: "https://anyone.example.com",
          azp: "https://anywhere.example.com"
        })
        const session = yield* verifyWith({ publicKey: rsa.pem, authorizedParties: [] }, token)
        assert.strictEqual(session.userId, "user_1")
      })
    )
  })

  describe("given a token that is not signed by a trusted key", () => {
    for (const [key, other] of [
      [rsa, otherRsa],
      [ec, otherEc]
    ] as const) {
      for (const [form, publicKey] of keyForms(key)) {
        it.effect(
          `when a ${key.alg} token is signed by another key (same kid), against a ${form} key, then InvalidSession`,
          () =>
            Effect.gen(function* () {
              yield* atNow
              assert.strictEqual(
                yield* refusal(verifyWith({ publicKey }, yield* sign(other))),
                "bad signature"
              )
            })
        )
      }
    }

    it.effect("when a JWKS has no key with the token's kid, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = yield* sign(ec, {}, { kid: "unknown" })
        assert.strictEqual(
          yield* refusal(verifyWith({ publicKey: JSON.stringify({ keys: [ec.jwk] }) }, token)),
          "no trusted key matches the token"
        )
      })
    )

    it.effect("when the token is an ES256 token but the key is RSA, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        assert.strictEqual(
          yield* refusal(verifyWith({ publicKey: rsa.pem }, yield* sign(ec))),
          "signing algorithm not allowed"
        )
      })
    )

    it.effect("when the token uses alg none, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const token = forge({ alg: "none", typ: "JWT" }, { sub: "admin", exp: now + 3600 })
        for (const [, publicKey] of [...keyForms(rsa), ...keyForms(ec)]) {
          yield* refusal(verifyWith({ publicKey }, token))
        }
      })
    )

    it.effect("when the token is HS256 with the public key as the HMAC secret, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        for (const [, publicKey] of [...keyForms(rsa), ...keyForms(ec)]) {
          const token = yield* Effect.promise(() =>
            new SignJWT({ sub: "admin", exp: now + 3600 })
              .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
              .sign(new TextEncoder().encode(publicKey))
          )
          assert.strictEqual(
            yield* refusal(verifyWith({ publicKey }, token)),
            "signing algorithm not allowed"
          )
        }
      })
    )

    it.effect("when an RSA key signs with RS384 (not RS256), then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const privateKey = yield* Effect.promise(async () =>
          importPKCS8(await exportPKCS8(rsa.privateKey), "RS384")
        )
        const token = yield* sign({ ...rsa, privateKey, alg: "RS384" as Alg })
        for (const [, publicKey] of keyForms(rsa)) {
          yield* refusal(verifyWith({ publicKey }, token))
        }
      })
    )
  })

  describe("given a token without a usable subject", () => {
    it.effect("when sub is missing, empty or not a string, then InvalidSession", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make({ publicKey: ec.pem })
        assert.strictEqual(
          yield* refusal(sessions.verify(yield* sign(ec, { sub: undefined }))),
          "missing sub claim"
        )
        assert.strictEqual(yield* refusal(sessions.verify(yield* sign(ec, { sub: "" }))), "missing sub claim")
        yield* refusal(sessions.verify(yield* sign(ec, { sub: 12 })))
      })
    )
  })

  describe("given garbage instead of a token", () => {
    it.effect("when verifying, then InvalidSession with a reason that never echoes the input", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make({ publicKey: JSON.stringify({ keys: [rsa.jwk, ec.jwk] }) })
        const garbage = [
          "",
          "secret-garbage",
          "a.b.c",
          "secret.secret.secret",
          "..",
          "Bearer eyJhbGciOiJSUzI1NiJ9",
          forge({ alg: "RS256", kid: rsa.kid }, { sub: "user_1", exp: now + 60 }, "c2VjcmV0"),
          `${base64url.encode("not json")}.${base64url.encode("{}")}.AAAA`,
          "x".repeat(100_000),
          "\u0000\uffff.\ud800.🙂"
        ]
        for (const token of garbage) {
          const reason = yield* refusal(sessions.verify(token))
          assert.notInclude(reason, "secret")
          assert.isBelow(reason.length, 80)
        }
      })
    )
  })

  describe("given the verdict cache", () => {
    it.effect("when a verified token's exp passes, then the cached verdict is not served", () =>
      Effect.gen(function* () {
        yield* atNow
        const sessions = yield* make({ publicKey: ec.pem, clockToleranceSeconds: 0 })
        const token = yield* sign(ec, { exp: now + 60 })
        yield* sessions.verify(token)
        yield* sessions.verify(token)
        yield* TestClock.adjust("61 seconds")
        assert.strictEqual(yield* refusal(sessions.verify(token)), "token expired")
      })
    )

    it("when an entry is looked up after its exp (plus tolerance), then it is gone", () => {
      const cache = makeVerdictCache({ maxEntries: 10, toleranceSeconds: 5 })
      const session = { userId: "u", email: undefined, expiresAt: 100 }
      cache.set("k", session, 90)
      assert.deepStrictEqual(cache.get("k", 104), session)
      assert.isUndefined(cache.get("k", 105))
      assert.strictEqual(cache.size(), 0)
    })

    it("when full, then expired entries are evicted first, then the least recently used", () => {
      const cache = makeVerdictCache({ maxEntries: 3, toleranceSeconds: 0 })
      const live = (userId: string) => ({ userId, email: undefined, expiresAt: 1_000 })
      cache.set("a", live("a"), 10)
      cache.set("dead", { userId: "dead", email: undefined, expiresAt: 20 }, 10)
      cache.set("b", live("b"), 10)
      cache.set("c", live("c"), 30)
      assert.isDefined(cache.get("a", 30), "the expired entry went, not the oldest live one")
      cache.set("d", live("d"), 30)
      assert.isUndefined(cache.get("b", 30), "b was least recently used")
      for (const key of ["a", "c", "d"]) assert.isDefined(cache.get(key, 30))
      assert.strictEqual(cache.size(), 3)
    })

    it("when keyed, then the key is a digest, not the token", () => {
      const key = tokenKey("header.payload.signature")
      assert.notInclude(key, "payload")
      assert.strictEqual(key, tokenKey("header.payload.signature"))
      assert.notStrictEqual(key, tokenKey("header.payload.signaturf"))
    })
  })

  describe("given a bad configuration", () => {
    const hmacJwk = JSON.stringify({ kty: "oct", k: "c2VjcmV0" })
    const privateJwk = Effect.promise(async () => {
      const pair = await generateKeyPair("ES256", { extractable: true })
      return JSON.stringify(await exportJWK(pair.privateKey))
    })
    const edPem = Effect.promise(async () => exportSPKI((await generateKeyPair("Ed25519")).publicKey))

    it.effect("when it is refused, then SessionsConfigError says why", () =>
      Effect.gen(function* () {
        const cases: ReadonlyArray<[JwtSessionsConfig, string]> = [
          [{}, "no session key configured"],
          [{ publicKey: "  ", jwksUrl: "" }, "no session key configured"],
          [{ publicKey: rsa.pem, jwksUrl: "https://idp.example.com/jwks" }, "not both"],
          [
            { publicKey: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----" },
            "never a private key"
          ],
          [
            { publicKey: "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----" },
            "could not be read"
          ],
          [{ publicKey: yield* privateJwk }, "secret material"],
          [
            { publicKey: JSON.stringify({ keys: [ec.jwk, JSON.parse(yield* privateJwk)] }) },
            "secret material"
          ],
          [{ publicKey: hmacJwk }, "secret material"],
          [{ publicKey: yield* edPem }, "RSA key (RS256) or an EC P-256 key (ES256)"],
          [{ publicKey: JSON.stringify({ ...rsa.jwk, alg: "RS512" }) }, "declares alg RS512"],
          [{ publicKey: JSON.stringify({ keys: [] }) }, "no RSA or EC P-256 public key"],
          [{ publicKey: "{not json" }, "PEM public key, a JWK JSON or a JWKS JSON"],
          [{ publicKey: "[1,2]" }, "JWK or a JWKS object"],
          [{ jwksUrl: "not a url" }, "not a valid URL"],
          [{ jwksUrl: "file:///etc/jwks.json" }, "must be http(s)"],
          [{ jwksUrl: "https://idp.example.com/jwks", jwks: { timeoutMillis: -1 } }, "non-negative integer"],
          [{ publicKey: rsa.pem, clockToleranceSeconds: -1 }, "clock tolerance"],
          [{ publicKey: rsa.pem, verdictCacheSize: 1.5 }, "verdict cache size"]
        ]
        for (const [config, expected] of cases) {
          const error = yield* Effect.flip(make(config))
          assert.strictEqual(error._tag, "SessionsConfigError")
          assert.include(error.message, expected)
        }
      })
    )
  })
})

describe("dev keys", () => {
  const withDataDir = Effect.acquireRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), "tenantry-devkeys-"))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

  it.effect(
    "given an empty data dir, when loading twice, then the key is created once and reloaded identically",
    () =>
      Effect.gen(function* () {
        const dataDir = join(yield* withDataDir, "nested", "data")
        const first = yield* loadOrCreateDevKeys(dataDir)
        const path = join(dataDir, devKeyFileName)
        const written = yield* Effect.promise(() => readFile(path, "utf8"))
        const second = yield* loadOrCreateDevKeys(dataDir)
        assert.strictEqual(second.kid, first.kid)
        assert.deepStrictEqual(second.publicJwk, first.publicJwk)
        assert.strictEqual(
          yield* Effect.promise(() => readFile(path, "utf8")),
          written,
          "file untouched on reload"
        )
        assert.strictEqual(first.publicJwk.kid, first.kid)
        assert.isUndefined(first.publicJwk.d, "the public JWK carries no private part")
        assert.strictEqual((yield* Effect.promise(() => stat(path))).mode & 0o777, 0o600)
      })
  )

  it.effect("given two starts racing on an empty data dir, then both end up with the same key", () =>
    Effect.gen(function* () {
      const dataDir = yield* withDataDir
      const [a, b] = yield* Effect.all([loadOrCreateDevKeys(dataDir), loadOrCreateDevKeys(dataDir)], {
        concurrency: 2
      })
      assert.strictEqual(a.kid, b.kid)
      assert.strictEqual((yield* loadOrCreateDevKeys(dataDir)).kid, a.kid)
    })
  )

  it.effect("given a minted dev token, when JwtSessions has the public JWK, then it verifies", () =>
    Effect.gen(function* () {
      yield* atNow
      const keys = yield* loadOrCreateDevKeys(yield* withDataDir)
      const token = yield* mintDevToken({ ...keys, userId: "user_dev", email: "dev@example.com" })
      for (const publicKey of [JSON.stringify(keys.publicJwk), JSON.stringify({ keys: [keys.publicJwk] })]) {
        const session = yield* verifyWith({ publicKey }, token)
        assert.deepStrictEqual(session, {
          userId: "user_dev",
          email: "dev@example.com",
          expiresAt: now + 86_400
        })
      }
      const issued = yield* mintDevToken({ ...keys, userId: "u", ttlSeconds: 60, issuer: "tenantry-dev" })
      const session = yield* verifyWith(
        { publicKey: JSON.stringify(keys.publicJwk), issuer: "tenantry-dev" },
        issued
      )
      assert.strictEqual(session.expiresAt, now + 60)
    })
  )

  it.effect("given bad input or a corrupt key file, then DevKeysError", () =>
    Effect.gen(function* () {
      const dataDir = yield* withDataDir
      const keys = yield* loadOrCreateDevKeys(dataDir)
      assert.strictEqual((yield* Effect.flip(mintDevToken({ ...keys, userId: "" })))._tag, "DevKeysError")
      assert.strictEqual(
        (yield* Effect.flip(mintDevToken({ ...keys, userId: "u", ttlSeconds: 0 })))._tag,
        "DevKeysError"
      )
      yield* Effect.promise(() => writeFile(join(dataDir, devKeyFileName), "{}"))
      const error = yield* Effect.flip(loadOrCreateDevKeys(dataDir))
      assert.strictEqual(error._tag, "DevKeysError")
      assert.include(error.message, "delete it to regenerate")
    })
  )
})
