import { randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { Kv, KvError } from "../../application/ports/Kv.ts"

/**
 * The edge KV as files, one per key, for development and single-node use. Any key maps
 * to a file name inside the directory (percent-encoding, with `.` encoded too, so no
 * key can name `..` or a path); writes land whole via write-to-temp, fsync, rename.
 */
export const fileNameFor = (key: string): string =>
  encodeURIComponent(key).replace(/\./g, "%2E").replace(/\*/g, "%2A")

const kvError = (operation: string) => (cause: unknown) =>
  new KvError({ operation, message: cause instanceof Error ? cause.message : String(cause) })

export const make = (directory: string) =>
  Effect.gen(function* () {
    yield* Effect.tryPromise({
      try: () => mkdir(directory, { recursive: true, mode: 0o700 }),
      catch: kvError("open")
    })

    const path = (key: string) => {
      const name = fileNameFor(key)
      // File systems cap a name at 255 bytes; longer keys are refused rather than truncated into a clash.
      return name.length > 240 ? undefined : join(directory, name)
    }
    const tooLong = (operation: string) =>
      Effect.fail(new KvError({ operation, message: "key too long for the file KV" }))

    const get = (key: string) => {
      const file = path(key)
      if (file === undefined) return tooLong("get")
      return Effect.tryPromise({
        try: async () => {
          try {
            return await readFile(file, "utf8")
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
            throw error
          }
        },
        catch: kvError("get")
      })
    }

    const set = (key: string, value: string) => {
      const file = path(key)
      if (file === undefined) return tooLong("set")
      return Effect.tryPromise({
        try: async () => {
          const temporary = join(directory, `.tmp-${randomBytes(8).toString("hex")}`)
          const handle = await open(temporary, "w", 0o600)
          try {
            await handle.writeFile(value, "utf8")
            await handle.sync()
          } finally {
            await handle.close()
          }
          await rename(temporary, file)
        },
        catch: kvError("set")
      })
    }

    const remove = (key: string) => {
      const file = path(key)
      if (file === undefined) return tooLong("delete")
      return Effect.tryPromise({ try: () => rm(file, { force: true }), catch: kvError("delete") })
    }

    return Kv.of({ get, set, delete: remove })
  })

export const layer = (directory: string) => Layer.effect(Kv, make(directory))
