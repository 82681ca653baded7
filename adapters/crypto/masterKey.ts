import { randomBytes } from "node:crypto"
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"

/** The master key is unusable or missing; `message` says which and what to do, never the key. */
export class MasterKeyError extends Schema.TaggedError<MasterKeyError>()("MasterKeyError", {
  message: Schema.String
}) {}

const keyBytes = 32
export const devKeyFileName = "dev-encryption-key"

// Standard or URL-safe alphabet, optional padding. Checked up front because Buffer
// decoding silently skips foreign characters, which could turn a typo into another key.
const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/

const decode = (text: string, source: string) => {
  const trimmed = text.trim()
  if (!base64.test(trimmed)) {
    return Effect.fail(
      new MasterKeyError({
        message: `${source} is not valid base64; expected base64 of ${keyBytes} random bytes (e.g. \`openssl rand -base64 32\`)`
      })
    )
  }
  const key = Buffer.from(trimmed, "base64")
  return key.length === keyBytes
    ? Effect.succeed(new Uint8Array(key))
    : Effect.fail(
        new MasterKeyError({
          message: `${source} must be base64 of exactly ${keyBytes} bytes, but it decodes to ${key.length} bytes`
        })
      )
}

const errorCode = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "unknown"

/** The file's text, or undefined when it does not exist; any other read error is reported. */
const readIfExists = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => cause
  }).pipe(
    Effect.catch((cause) =>
      errorCode(cause) === "ENOENT"
        ? Effect.succeed(undefined)
        : Effect.fail(
            new MasterKeyError({ message: `cannot read the development key ${path} (${errorCode(cause)})` })
          )
    )
  )

/**
 * Writes a fresh key to `path` unless one is there already. Written whole to a private
 * temporary file first and then hard-linked into place, which fails if the name exists:
 * a concurrent start either wins or reads the winner's complete key, never a partial one.
 */
const createOnce = (dataDir: string, path: string) =>
  Effect.tryPromise({
    try: async () => {
      await mkdir(dataDir, { recursive: true, mode: 0o700 })
      const temporary = join(dataDir, `.${devKeyFileName}.${process.pid}.${randomBytes(6).toString("hex")}`)
      await writeFile(temporary, `${randomBytes(keyBytes).toString("base64")}\n`, { mode: 0o600, flag: "wx" })
      try {
        await link(temporary, path)
      } catch (cause) {
        if (errorCode(cause) !== "EEXIST") throw cause
      } finally {
        await unlink(temporary)
      }
    },
    catch: (cause) =>
      new MasterKeyError({ message: `cannot write the development key to ${path} (${errorCode(cause)})` })
  })

/**
 * The master key that wraps every tenant's data key: ENCRYPTION_KEY when given; in
 * development, one generated once into `<dataDir>/dev-encryption-key` (mode 0600) and
 * reused by every later start, so sealed values survive restarts; in production, its
 * absence is an error, since a generated key would strand the data if the disk went.
 */
export const loadMasterKey = Effect.fn("loadMasterKey")(function* (options: {
  readonly encryptionKey?: string | undefined
  readonly dataDir: string
  readonly production: boolean
}) {
  if (options.encryptionKey !== undefined) return yield* decode(options.encryptionKey, "ENCRYPTION_KEY")
  if (options.production) {
    return yield* new MasterKeyError({
      message: `ENCRYPTION_KEY is missing: production needs it set to base64 of ${keyBytes} random bytes (e.g. \`openssl rand -base64 32\`)`
    })
  }
  const path = join(options.dataDir, devKeyFileName)
  const existing = yield* readIfExists(path)
  if (existing !== undefined) return yield* decode(existing, path)
  yield* createOnce(options.dataDir, path)
  const written = yield* readIfExists(path)
  if (written === undefined) {
    return yield* new MasterKeyError({ message: `the development key ${path} vanished right after creation` })
  }
  return yield* decode(written, path)
})
