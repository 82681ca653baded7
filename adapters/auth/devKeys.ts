import { randomUUID } from "node:crypto"
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Clock, Effect, Schema } from "effect"
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT
} from "jose"

/**
 * A development-only signing key, so `npm start` works with no identity provider: the
 * server verifies with the public half, `npm run cli -- token` signs with the private half.
 * Never used when a real key is configured, nor in production.
 */
export interface DevKeys {
  readonly kid: string
  /** Public JWK (with kid, alg ES256, use sig): give it to JwtSessions as `publicKey`. */
  readonly publicJwk: JWK
  readonly privateKey: CryptoKey
}

export class DevKeysError extends Schema.TaggedError<DevKeysError>()("DevKeysError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export const devKeyFileName = "dev-session-key.json"
const alg = "ES256"

interface DevKeyFile {
  readonly version: 1
  readonly kid: string
  readonly publicJwk: JWK
  readonly privateJwk: JWK
}

const attempt = <A>(message: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new DevKeysError({ message, cause }) })

const isJwk = (value: unknown): value is JWK =>
  typeof value === "object" && value !== null && (value as { kty?: unknown }).kty === "EC"

const parseKeyFile = (text: string, path: string): Effect.Effect<DevKeyFile, DevKeysError> => {
  const corrupt = () =>
    new DevKeysError({ message: `${path} is not a dev session key file; delete it to regenerate` })
  try {
    const json = JSON.parse(text) as Partial<Record<keyof DevKeyFile, unknown>>
    if (
      json.version !== 1 ||
      typeof json.kid !== "string" ||
      !isJwk(json.publicJwk) ||
      !isJwk(json.privateJwk) ||
      typeof json.privateJwk.d !== "string"
    ) {
      return Effect.fail(corrupt())
    }
    return Effect.succeed({
      version: 1,
      kid: json.kid,
      publicJwk: json.publicJwk,
      privateJwk: json.privateJwk
    })
  } catch {
    return Effect.fail(corrupt())
  }
}

const generateKeyFile = Effect.fnUntraced(function* () {
  const pair = yield* attempt("could not generate a dev session key", () =>
    generateKeyPair(alg, { extractable: true })
  )
  const publicJwk = yield* attempt("could not export the dev public key", () => exportJWK(pair.publicKey))
  const privateJwk = yield* attempt("could not export the dev private key", () => exportJWK(pair.privateKey))
  const kid = yield* attempt("could not compute the dev key id", () => calculateJwkThumbprint(publicJwk))
  const file: DevKeyFile = {
    version: 1,
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
    privateJwk: { ...privateJwk, kid, alg, use: "sig" }
  }
  return file
})

/**
 * Writes the file so that it appears complete or not at all, and never replaces one a
 * concurrent start wrote first: written to a private temporary name, then hard-linked
 * into place (which fails if the name is taken). Returns the file that won.
 */
const writeOnce = Effect.fnUntraced(function* (path: string, file: DevKeyFile) {
  const temporary = `${path}.${randomUUID()}.tmp`
  yield* attempt(`could not write ${temporary}`, () =>
    writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" })
  )
  const linked = yield* Effect.tryPromise({
    try: () => link(temporary, path).then(() => true),
    catch: (cause) => cause
  }).pipe(
    Effect.catch((cause) =>
      (cause as NodeJS.ErrnoException).code === "EEXIST"
        ? Effect.succeed(false)
        : Effect.fail(new DevKeysError({ message: `could not create ${path}`, cause }))
    ),
    Effect.ensuring(Effect.promise(() => unlink(temporary).catch(() => undefined)))
  )
  if (linked) return file
  const text = yield* attempt(`could not read ${path}`, () => readFile(path, "utf8"))
  return yield* parseKeyFile(text, path)
})

/**
 * Loads the dev key pair from `<dataDir>/dev-session-key.json`, creating it (mode 0600)
 * on first use, so tokens minted earlier keep verifying across restarts.
 */
export const loadOrCreateDevKeys = Effect.fn("DevKeys.loadOrCreate")(function* (dataDir: string) {
  const path = join(dataDir, devKeyFileName)
  yield* attempt(`could not create ${dataDir}`, () => mkdir(dataDir, { recursive: true, mode: 0o700 }))
  const existing = yield* Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => cause
  }).pipe(
    Effect.catch((cause) =>
      (cause as NodeJS.ErrnoException).code === "ENOENT"
        ? Effect.succeed(undefined)
        : Effect.fail(new DevKeysError({ message: `could not read ${path}`, cause }))
    )
  )
  const file =
    existing === undefined
      ? yield* writeOnce(path, yield* generateKeyFile())
      : yield* parseKeyFile(existing, path)
  const privateKey = yield* attempt(`could not import the private key in ${path}`, () =>
    importJWK(file.privateJwk, alg)
  )
  if (privateKey instanceof Uint8Array) {
    return yield* new DevKeysError({ message: `${path} holds a symmetric key, not an ES256 key pair` })
  }
  const keys: DevKeys = { kid: file.kid, publicJwk: file.publicJwk, privateKey }
  return keys
})

export interface MintDevTokenOptions {
  readonly privateKey: CryptoKey
  /** Goes into the header so JWKS-style verifiers can pick the key. */
  readonly kid: string
  readonly userId: string
  readonly email?: string | undefined
  /** Lifetime in seconds; default 24 hours, for development convenience. */
  readonly ttlSeconds?: number | undefined
  readonly issuer?: string | undefined
}

/** Signs a session token like an identity provider would (ES256, `sub`, `iat`, `exp`, optional `email`/`iss`). */
export const mintDevToken = Effect.fn("DevKeys.mintToken")(function* (options: MintDevTokenOptions) {
  if (options.userId.length === 0) return yield* new DevKeysError({ message: "a dev token needs a user id" })
  const ttl = options.ttlSeconds ?? 24 * 60 * 60
  if (!Number.isInteger(ttl) || ttl <= 0) {
    return yield* new DevKeysError({ message: "token lifetime must be a positive whole number of seconds" })
  }
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const claims = options.email === undefined ? {} : { email: options.email }
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, kid: options.kid, typ: "JWT" })
    .setSubject(options.userId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttl)
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer)
  return yield* attempt("could not sign the dev token", () => jwt.sign(options.privateKey))
})
