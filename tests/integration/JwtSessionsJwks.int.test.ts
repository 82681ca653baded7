import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose"
import { type JwtSessionsConfig, make } from "../../adapters/auth/JwtSessions.ts"
import { InvalidSession, type Session } from "../../application/ports/Sessions.ts"

interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly jwk: JWK
}

const makeKey = async (kid: string): Promise<SigningKey> => {
  const pair = await generateKeyPair("ES256", { extractable: true })
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256" }
  }
}

const sign = (key: SigningKey, sub = "user_1") =>
  Effect.promise(() =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: "ES256", kid: key.kid })
      .setIssuedAt()
      .setExpirationTime("1 hour")
      .sign(key.privateKey)
  )

/**
 * A real HTTP server on 127.0.0.1 (port 0) for the test's scope; `handle` answers every
 * request, and `requests()` counts them, which is how the tests see JWKS fetches.
 */
const httpServer = (handle: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.gen(function* () {
    let requests = 0
    const server = createServer((req, res) => {
      requests++
      handle(req, res)
    })
    yield* Effect.acquireRelease(
      Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
      () => close(server)
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, requests: () => requests, server }
  })

const close = (server: ReturnType<typeof createServer>) =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )

/** A JWKS endpoint publishing whatever keys `published` holds at the time of the request. */
const jwksServer = (published: { keys: Array<JWK> }) =>
  httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify(published))
  })

const refusal = <R>(effect: Effect.Effect<Session, unknown, R>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(effect)
    assert.instanceOf(error, InvalidSession)
    return (error as InvalidSession).reason
  })

/** Runs `effect` and reports how long it took in real milliseconds. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const result = yield* effect
    return [result, performance.now() - started] as const
  })

describe("JwtSessions over a JWKS URL", () => {
  it.live(
    "given a JWKS server, when verifying a token twice, then the second verdict comes from the cache, even once the server is gone",
    () =>
      Effect.gen(function* () {
        const key = yield* Effect.promise(() => makeKey("k1"))
        const jwks = yield* jwksServer({ keys: [key.jwk] })
        // With a zero JWKS cache age, every signature check fetches the key set, so the
        // request count is exactly the number of real verifications.
        const config: JwtSessionsConfig = { jwksUrl: jwks.url, jwks: { cacheMaxAgeMillis: 0 } }
        const sessions = yield* make(config)
        const token = yield* sign(key, "user_cached")

        const first = yield* sessions.verify(token)
        assert.strictEqual(first.userId, "user_cached")
        assert.strictEqual(jwks.requests(), 1)

        const second = yield* sessions.verify(token)
        assert.deepStrictEqual(second, first)
        assert.strictEqual(jwks.requests(), 1, "no second signature check")

        const otherToken = yield* sign(key, "user_other")
        yield* sessions.verify(otherToken)
        assert.strictEqual(jwks.requests(), 2, "a new token is really verified")

        yield* close(jwks.server)
        assert.strictEqual((yield* sessions.verify(token)).userId, "user_cached")
        assert.strictEqual(
          yield* refusal(sessions.verify(yield* sign(key, "user_new"))),
          "session key set unavailable"
        )
      })
  )

  it.live(
    "given a verified key, when the IdP rotates in a new kid, then it is picked up once the cooldown has passed",
    () =>
      Effect.gen(function* () {
        const [oldKey, newKey] = yield* Effect.promise(() => Promise.all([makeKey("old"), makeKey("new")]))
        const published = { keys: [oldKey.jwk] }
        const jwks = yield* jwksServer(published)
        const sessions = yield* make({ jwksUrl: jwks.url, jwks: { cooldownMillis: 300 } })

        yield* sessions.verify(yield* sign(oldKey))
        assert.strictEqual(jwks.requests(), 1)

        published.keys = [oldKey.jwk, newKey.jwk]
        const rotated = yield* sign(newKey)
        assert.strictEqual(
          yield* refusal(sessions.verify(rotated)),
          "no trusted key matches the token",
          "within the cooldown an unknown kid does not reach the IdP"
        )
        assert.strictEqual(jwks.requests(), 1)

        yield* Effect.sleep("400 millis")
        assert.strictEqual((yield* sessions.verify(rotated)).userId, "user_1")
        assert.strictEqual(jwks.requests(), 2)
        yield* sessions.verify(yield* sign(oldKey, "user_2"))
        assert.strictEqual(jwks.requests(), 2, "the old key is still served from the fetched set")
      })
  )

  it.live("given a JWKS URL where nothing listens, when verifying, then InvalidSession promptly", () =>
    Effect.gen(function* () {
      const key = yield* Effect.promise(() => makeKey("k1"))
      const gone = yield* httpServer(() => undefined)
      yield* close(gone.server)
      const sessions = yield* make({ jwksUrl: gone.url })
      const [reason, elapsed] = yield* timed(refusal(sessions.verify(yield* sign(key))))
      assert.strictEqual(reason, "session key set unavailable")
      assert.isBelow(elapsed, 2_000)
    })
  )

  it.live(
    "given a JWKS server that never answers, when verifying, then InvalidSession after the timeout",
    () =>
      Effect.gen(function* () {
        const key = yield* Effect.promise(() => makeKey("k1"))
        const silent = yield* httpServer(() => undefined)
        const sessions = yield* make({ jwksUrl: silent.url, jwks: { timeoutMillis: 300 } })
        const [reason, elapsed] = yield* timed(refusal(sessions.verify(yield* sign(key))))
        assert.strictEqual(reason, "session key set unavailable (timeout)")
        assert.isAtLeast(elapsed, 250)
        assert.isBelow(elapsed, 3_000)
      })
  )

  it.live("given a JWKS server answering 500 or non-JSON, when verifying, then InvalidSession", () =>
    Effect.gen(function* () {
      const key = yield* Effect.promise(() => makeKey("k1"))
      const token = yield* sign(key)
      const failing = yield* httpServer((_req, res) => {
        res.writeHead(500)
        res.end("oops")
      })
      assert.strictEqual(
        yield* refusal((yield* make({ jwksUrl: failing.url })).verify(token)),
        "session key set unavailable"
      )
      const garbled = yield* httpServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{not json")
      })
      assert.strictEqual(
        yield* refusal((yield* make({ jwksUrl: garbled.url })).verify(token)),
        "session key set unavailable"
      )
    })
  )
})
