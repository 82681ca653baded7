import { createHash, randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { Kv, KvError } from "../../application/ports/Kv.ts"

/**
 * The edge KV as files, one per key, for development and single-node use.
 *
 * A key's file name is its percent-encoding with `.`, `*` and upper-case letters encoded
 * too: the result is one path segment (never `.`, `..`, or a `/` or `\`), never starts
 * with `.` (so it cannot meet our temp files), and stays distinct on case-insensitive or
 * normalising file systems (macOS, Windows). Lower-case keys such as `proxy:acme` read
 * as themselves. A key that cannot be spelled that way (empty, a lone UTF-16 surrogate,
 * or longer than a file name may be) is named by its SHA-256 behind `@`, a character
 * the encoding never emits, so the two namings cannot meet.
 */
const maxEncodedLength = 200 // NAME_MAX is 255 bytes on common file systems; keep a margin
const hashedPrefix = "@"
const temporaryPrefix = ".tmp-"

const percentEncode = (char: string) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`

export const fileNameFor = (key: string): string => {
  if (key !== "" && key.isWellFormed()) {
    // Existing escapes are matched first and kept, so their hex digits are not escaped again.
    const encoded = encodeURIComponent(key).replace(/%[0-9A-F]{2}|[.*A-Z]/g, (match) =>
      match.length === 3 ? match : percentEncode(match)
    )
    if (encoded.length <= maxEncodedLength) return encoded
  }
  // UTF-16 bytes, not UTF-8: UTF-8 would turn every lone surrogate into the same U+FFFD.
  return hashedPrefix + createHash("sha256").update(key, "utf16le").digest("hex")
}

const errno = (cause: unknown) => (cause as NodeJS.ErrnoException | undefined)?.code

const kvError = (operation: string) => (cause: unknown) =>
  new KvError({ operation, message: cause instanceof Error ? cause.message : String(cause) })

/** fsyncs the directory so a rename survives a power loss, where the file system allows it. */
const syncDirectory = async (directory: string) => {
  const handle = await open(directory, "r").catch(() => undefined)
  if (handle === undefined) return
  try {
    await handle.sync()
  } catch {
    // Some file systems refuse fsync on a directory; the rename is visible either way.
  } finally {
    await handle.close()
  }
}

/** Readers see the old value or the new one, never part of one: rename replaces a file in one step. */
const writeAtomically = async (directory: string, file: string, value: string) => {
  const temporary = join(directory, temporaryPrefix + randomBytes(12).toString("hex"))
  try {
    const handle = await open(temporary, "wx", 0o600)
    try {
      await handle.writeFile(value, "utf8")
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
  await syncDirectory(directory)
}

const readIfPresent = async (file: string) => {
  try {
    return await readFile(file, "utf8")
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined
    throw error
  }
}

export const make = Effect.fn("FileKv.make")(function* (directory: string) {
  yield* Effect.tryPromise({
    try: () => mkdir(directory, { recursive: true, mode: 0o700 }),
    catch: kvError("open")
  })
  const pathOf = (key: string) => join(directory, fileNameFor(key))

  const get = Effect.fn("FileKv.get")(function* (key: string) {
    return yield* Effect.tryPromise({ try: () => readIfPresent(pathOf(key)), catch: kvError("get") })
  })

  const set = Effect.fn("FileKv.set")(function* (key: string, value: string) {
    yield* Effect.tryPromise({
      try: () => writeAtomically(directory, pathOf(key), value),
      catch: kvError("set")
    })
  })

  const remove = Effect.fn("FileKv.delete")(function* (key: string) {
    yield* Effect.tryPromise({ try: () => rm(pathOf(key), { force: true }), catch: kvError("delete") })
  })

  // A key listed twice keeps its last value: one write per key, the latest.
  const setMany = (entries: ReadonlyArray<readonly [key: string, value: string]>) =>
    Effect.forEach(new Map(entries), ([key, value]) => set(key, value), { concurrency: 8, discard: true })

  return Kv.of({ get, set, setMany, delete: remove })
})

export const layer = (directory: string): Layer.Layer<Kv, KvError> => Layer.effect(Kv, make(directory))
