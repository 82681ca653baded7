import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto"
import { Effect, Schema } from "effect"
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWK,
  type JWSAlgorithm,
  type JWTVerifyGetKey
} from "jose"

/** The session-key settings are missing, contradictory or unusable; the server must not start. */
export class SessionsConfigError extends Schema.TaggedError<SessionsConfigError>()("SessionsConfigError", {
  message: Schema.String
}) {}

/** Tuning of the remote JWKS fetcher; the defaults suit a real identity provider. */
export interface JwksFetchOptions {
  /** Abort a JWKS request after this long (default 5 000 ms), so a dead IdP cannot hang requests. */
  readonly timeoutMillis?: number | undefined
  /**
   * After a fetch, an unknown `kid` triggers another fetch only once this has passed
   * (default 30 000 ms): key rotation is picked up, but a stream of forged `kid`s cannot
   * turn every request into a request to the IdP.
   */
  readonly cooldownMillis?: number | undefined
  /** Refetch the key set at least this often (default 600 000 ms), so revoked keys age out. */
  readonly cacheMaxAgeMillis?: number | undefined
}

/** Where trusted verification keys come from. */
export interface KeySourceConfig {
  /** A PEM (SPKI) public key, a JWK JSON, or a JWKS JSON `{ "keys": [...] }`. */
  readonly publicKey?: string | undefined
  /** An identity provider's JWKS endpoint. */
  readonly jwksUrl?: string | undefined
  readonly jwks?: JwksFetchOptions | undefined
}

/** What `jwtVerify` gets: a key (or key resolver) and the algorithms it may be used with. */
export interface KeySource {
  readonly key: KeyObject | JWTVerifyGetKey
  readonly algorithms: Array<JWSAlgorithm>
  /** Whether failures may come from the network (worth a warning in the logs). */
  readonly remote: boolean
}

/** The only algorithms identity providers such as Clerk use for session tokens. */
export const allowedAlgorithms: ReadonlyArray<JWSAlgorithm> = ["RS256", "ES256"]

const fail = (message: string) => Effect.fail(new SessionsConfigError({ message }))

/** The algorithm a public key is good for, or undefined when it is not one we accept. */
const algorithmOf = (key: KeyObject): JWSAlgorithm | undefined => {
  if (key.asymmetricKeyType === "rsa") return "RS256"
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256"
  return undefined
}

const singleKey = (key: KeyObject, declaredAlg: unknown): Effect.Effect<KeySource, SessionsConfigError> => {
  const alg = algorithmOf(key)
  if (alg === undefined)
    return fail("session public key must be an RSA key (RS256) or an EC P-256 key (ES256)")
  if (declaredAlg !== undefined && declaredAlg !== alg) {
    return fail(`session public key declares alg ${String(declaredAlg)}, but only ${alg} fits this key`)
  }
  // One algorithm only: the key type fixes it, and anything else (HS256 with the public
  // key as the HMAC secret, `none`) is refused before any key is used.
  return Effect.succeed({ key, algorithms: [alg], remote: false })
}

const isPrivateJwk = (jwk: Record<string, unknown>) => "d" in jwk || jwk.kty === "oct"

const fromPem = (pem: string) => {
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) {
    return fail(
      "session public key PEM must be a public key (-----BEGIN PUBLIC KEY-----), never a private key"
    )
  }
  return Effect.try({
    try: () => createPublicKey(pem),
    catch: () => new SessionsConfigError({ message: "session public key PEM could not be read" })
  }).pipe(Effect.flatMap((key) => singleKey(key, undefined)))
}

const fromJwk = (jwk: Record<string, unknown>) => {
  if (isPrivateJwk(jwk))
    return fail("session public key JWK holds secret material; configure the public key only")
  return Effect.try({
    try: () => createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }),
    catch: () => new SessionsConfigError({ message: "session public key JWK could not be read" })
  }).pipe(Effect.flatMap((key) => singleKey(key, jwk.alg)))
}

const fromJwks = (jwks: { readonly keys: ReadonlyArray<unknown> }) => {
  const keys = jwks.keys.filter((k): k is Record<string, unknown> => typeof k === "object" && k !== null)
  if (keys.length !== jwks.keys.length) return fail("session JWKS has entries that are not JWK objects")
  if (keys.some(isPrivateJwk)) return fail("session JWKS holds secret material; configure public keys only")
  const usable = keys.filter((jwk) => {
    try {
      return algorithmOf(createPublicKey({ key: jwk as JsonWebKey, format: "jwk" })) !== undefined
    } catch {
      return false
    }
  })
  if (usable.length === 0) return fail("session JWKS has no RSA or EC P-256 public key")
  return Effect.try({
    try: (): KeySource => ({
      key: createLocalJWKSet({ keys: usable as Array<JWK> } satisfies JSONWebKeySet),
      algorithms: [...allowedAlgorithms],
      remote: false
    }),
    catch: () => new SessionsConfigError({ message: "session JWKS could not be read" })
  })
}

const fromPublicKey = (raw: string) => {
  // Env files often carry a PEM on one line with literal "\n" escapes.
  const text = raw.trim().replaceAll("\\n", "\n")
  if (text.startsWith("-----BEGIN")) return fromPem(text)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return fail("session public key must be a PEM public key, a JWK JSON or a JWKS JSON")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail("session public key JSON must be a JWK or a JWKS object")
  }
  const record = json as Record<string, unknown>
  if (Array.isArray(record.keys)) return fromJwks({ keys: record.keys })
  if (typeof record.kty === "string") return fromJwk(record)
  return fail("session public key JSON must be a JWK (with kty) or a JWKS (with keys)")
}

const nonNegativeInteger = (value: number | undefined, name: string) =>
  value === undefined || (Number.isInteger(value) && value >= 0)
    ? Effect.succeed(value)
    : fail(`${name} must be a non-negative integer`)

const fromJwksUrl = Effect.fnUntraced(function* (raw: string, options: JwksFetchOptions) {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return yield* fail("session JWKS URL is not a valid URL")
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return yield* fail("session JWKS URL must be http(s)")
  }
  const timeoutDuration = (yield* nonNegativeInteger(options.timeoutMillis, "JWKS timeout")) ?? 5_000
  const cooldownDuration = (yield* nonNegativeInteger(options.cooldownMillis, "JWKS cooldown")) ?? 30_000
  const cacheMaxAge = (yield* nonNegativeInteger(options.cacheMaxAgeMillis, "JWKS cache max age")) ?? 600_000
  const source: KeySource = {
    key: createRemoteJWKSet(url, { timeoutDuration, cooldownDuration, cacheMaxAge }),
    algorithms: [...allowedAlgorithms],
    remote: true
  }
  return source
})

/** Resolves the configured key source; exactly one of `publicKey` and `jwksUrl` must be set. */
export const resolveKeySource = (config: KeySourceConfig): Effect.Effect<KeySource, SessionsConfigError> => {
  const publicKey = config.publicKey?.trim() ? config.publicKey : undefined
  const jwksUrl = config.jwksUrl?.trim() ? config.jwksUrl.trim() : undefined
  if (publicKey !== undefined && jwksUrl !== undefined) {
    return fail(
      "configure either a session public key (AUTH_JWT_PUBLIC_KEY) or a JWKS URL (AUTH_JWKS_URL), not both"
    )
  }
  if (publicKey !== undefined) return fromPublicKey(publicKey)
  if (jwksUrl !== undefined) return fromJwksUrl(jwksUrl, config.jwks ?? {})
  return fail("no session key configured: set AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL")
}
