import { randomBytes } from "node:crypto"
import { mkdir, open, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"

export class MasterKeyError extends Schema.TaggedError<MasterKeyError>()("MasterKeyError", {
  message: Schema.String
}) {}

const decode = (text: string, source: string) => {
  const key = Buffer.from(text.trim(), "base64")
  return key.length === 32
    ? Effect.succeed(new Uint8Array(key))
    : Effect.fail(
        new MasterKeyError({ message: `${source} must be base64 of exactly 32 bytes (got ${key.length})` })
      )
}

/**
 * The master key that wraps every tenant's data key: ENCRYPTION_KEY when set; in
 * development, one generated once into DATA_DIR (mode 0600) and reused; in production,
 * its absence is an error.
 */
export const loadMasterKey = Effect.fn("loadMasterKey")(function* (options: {
  readonly encryptionKey: string | undefined
  readonly dataDir: string
  readonly production: boolean
}) {
  if (options.encryptionKey !== undefined) return yield* decode(options.encryptionKey, "ENCRYPTION_KEY")
  if (options.production)
    return yield* new MasterKeyError({ message: "ENCRYPTION_KEY is required in production" })
  const path = join(options.dataDir, "dev-encryption-key")
  const existing = yield* Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: () => undefined
  }).pipe(Effect.catch(() => Effect.succeed(undefined)))
  if (existing !== undefined) return yield* decode(existing, path)
  const fresh = randomBytes(32).toString("base64")
  yield* Effect.tryPromise({
    try: async () => {
      await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
      // "wx": if another process created it first, keep theirs.
      const handle = await open(path, "wx", 0o600)
      try {
        await handle.writeFile(`${fresh}\n`)
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => cause
  }).pipe(Effect.catch(() => Effect.void))
  const written = yield* Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: () => new MasterKeyError({ message: `could not write the development key to ${path}` })
  })
  return yield* decode(written, path)
})
