import { Clock, Effect, Layer } from "effect"
import { errors, type JWTPayload, jwtVerify } from "jose"
import { InvalidSession, type Session, Sessions } from "../../application/ports/Sessions.ts"
import { type JwksFetchOptions, type KeySource, resolveKeySource, SessionsConfigError } from "./keySource.ts"
import { makeVerdictCache, tokenKey } from "./VerdictCache.ts"

export type { JwksFetchOptions }
export { SessionsConfigError }

export interface JwtSessionsConfig {
  /** A PEM (SPKI) public key, a JWK JSON, or a JWKS JSON `{ "keys": [...] }`. */
  readonly publicKey?: string | undefined
  /** An identity provider's JWKS endpoint, fetched and cached (refetched on an unknown `kid`). */
  readonly jwksUrl?: string | undefined
  /** When set, `iss` must equal it. */
  readonly issuer?: string | undefined
  /** When set (and non-empty), a token's `azp`, if it has one, must be in the list (Clerk semantics). */
  readonly authorizedParties?: ReadonlyArray<string> | undefined
  /** Leeway for `exp` and `nbf` against clock skew between us and the issuer (default none). */
  readonly clockToleranceSeconds?: number | undefined
  readonly jwks?: JwksFetchOptions | undefined
  /** How many verified tokens to remember (default 10 000; 0 disables the cache). */
  readonly verdictCacheSize?: number | undefined
}

/** Real tokens are about 1 KB; anything far larger is refused before hashing or parsing it. */
const maxTokenLength = 16 * 1024

const invalid = (reason: string) => new InvalidSession({ reason })

/** A short reason for a jose failure; never the token, never a stack. */
const reasonFor = (cause: unknown, source: KeySource): string => {
  if (cause instanceof errors.JWTExpired) return "token expired"
  if (cause instanceof errors.JWTClaimValidationFailed) {
    if (cause.claim === "nbf") return "token not yet valid"
    if (cause.reason === "missing") return `missing ${cause.claim} claim`
    if (cause.claim === "iss") return "unexpected issuer"
    return `invalid ${cause.claim} claim`
  }
  if (cause instanceof errors.JOSEAlgNotAllowed) return "signing algorithm not allowed"
  if (cause instanceof errors.JWSSignatureVerificationFailed) return "bad signature"
  if (cause instanceof errors.JWKSNoMatchingKey) return "no trusted key matches the token"
  if (cause instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous signing key"
  if (cause instanceof errors.JWKSTimeout) return "session key set unavailable (timeout)"
  if (cause instanceof errors.JWSInvalid || cause instanceof errors.JWTInvalid) return "malformed token"
  if (cause instanceof errors.JOSENotSupported) return "unsupported token"
  if (cause instanceof errors.JWKInvalid || cause instanceof errors.JWKSInvalid) {
    return "session key set unusable"
  }
  // What is left comes from fetching the JWKS (refused connection, non-200, bad JSON).
  return source.remote ? "session key set unavailable" : "token could not be verified"
}

/** The claims we rely on beyond what jose checks; returns the session or a failure reason. */
const toSession = (
  payload: JWTPayload,
  authorizedParties: ReadonlyArray<string> | undefined
): Session | string => {
  if (typeof payload.sub !== "string" || payload.sub.length === 0) return "missing sub claim"
  // The user id is stored in events (jsonb refuses NUL) and echoed in audit output.
  // Stored in events as JSON: PostgreSQL refuses NUL and unpaired surrogates there.
  if (payload.sub.length > 255 || hasControlCharacter(payload.sub) || !payload.sub.isWellFormed()) {
    return "malformed sub claim"
  }
  if (typeof payload.exp !== "number") return "missing exp claim"
  if (authorizedParties !== undefined && payload.azp !== undefined) {
    if (typeof payload.azp !== "string" || !authorizedParties.includes(payload.azp)) {
      return "unauthorized party"
    }
  }
  return {
    userId: payload.sub,
    email:
      typeof payload.email === "string" && payload.email.isWellFormed() && !hasControlCharacter(payload.email)
        ? payload.email
        : undefined,
    expiresAt: payload.exp
  }
}

/** Builds a `Sessions` that verifies RS256/ES256 JWTs against the configured keys. */
const hasControlCharacter = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

export const make = Effect.fnUntraced(function* (config: JwtSessionsConfig) {
  const source = yield* resolveKeySource(config)
  // CONTRACT.md: an expired token is 401, from the second it expires.
  const tolerance = config.clockToleranceSeconds ?? 0
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    return yield* new SessionsConfigError({
      message: "clock tolerance must be a non-negative number of seconds"
    })
  }
  const cacheSize = config.verdictCacheSize ?? 10_000
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    return yield* new SessionsConfigError({ message: "verdict cache size must be a non-negative integer" })
  }
  const issuer = config.issuer?.trim() ? config.issuer : undefined
  // An empty list means "not configured" (an empty AUTH_AUTHORIZED_PARTIES), not "nobody".
  const authorizedParties =
    config.authorizedParties !== undefined && config.authorizedParties.length > 0
      ? config.authorizedParties
      : undefined
  const cache = makeVerdictCache({ maxEntries: cacheSize, toleranceSeconds: tolerance })

  const verifySignatureAndClaims = Effect.fnUntraced(function* (token: string, nowMillis: number) {
    const { payload } = yield* Effect.tryPromise({
      try: () =>
        jwtVerify(token, source.key, {
          algorithms: source.algorithms,
          clockTolerance: tolerance,
          currentDate: new Date(nowMillis),
          requiredClaims: ["sub", "exp"],
          ...(issuer === undefined ? {} : { issuer })
        }),
      catch: (cause) => cause
    }).pipe(
      Effect.catch((cause) => {
        const reason = reasonFor(cause, source)
        // The IdP being unreachable is an operator's problem, not the caller's: say so in the logs.
        const log = reason.startsWith("session key set")
          ? Effect.logWarning(`session verification: ${reason}`)
          : Effect.void
        return Effect.andThen(log, Effect.fail(invalid(reason)))
      })
    )
    const session = toSession(payload, authorizedParties)
    if (typeof session === "string") return yield* invalid(session)
    return session
  })

  const verify = Effect.fn("Sessions.verify")(function* (token: string) {
    if (token.length === 0) return yield* invalid("missing token")
    if (token.length > maxTokenLength) return yield* invalid("token too long")
    const nowMillis = yield* Clock.currentTimeMillis
    // jose compares whole seconds; so does the cache, so neither outlives the other.
    const nowSeconds = Math.floor(nowMillis / 1000)
    const key = tokenKey(token)
    const cached = cache.get(key, nowSeconds)
    if (cached !== undefined) return cached
    // Failures are not cached: a bad token costs at most one signature check, and a
    // JWKS outage must not keep refusing good tokens after the IdP is back.
    const session = yield* verifySignatureAndClaims(token, nowMillis)
    cache.set(key, session, nowSeconds)
    return session
  })

  return Sessions.of({ verify })
})

export const layer = (config: JwtSessionsConfig): Layer.Layer<Sessions, SessionsConfigError> =>
  Layer.effect(Sessions, make(config))
