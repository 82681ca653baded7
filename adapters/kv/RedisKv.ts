import { Effect, Layer } from "effect"
import { createClient } from "redis"
import { Kv, KvError } from "../../application/ports/Kv.ts"

export interface RedisKvOptions {
  /** Prepended to every key, so tenants of one Redis (test runs, environments) cannot meet. */
  readonly keyPrefix?: string
}

// A refused or black-holed server fails startup within seconds instead of hanging it: the
// socket timeout covers TCP, the deadline also the handshake (AUTH, SELECT, CLIENT SETINFO).
const connectTimeoutMs = 3_000
const connectDeadlineMs = 5_000
// Bounds every command, so a server that accepts and never answers cannot stall a projector.
const commandTimeoutMs = 5_000
const closeTimeoutMs = 2_000
const maxReconnectDelayMs = 5_000

/** The URL may carry a password: messages drop it, and any URL-looking text, wherever it appears. */
const redactorFor = (url: string) => {
  const secrets = [url]
  try {
    const password = new URL(url).password
    if (password !== "") secrets.push(password, decodeURIComponent(password))
  } catch {
    // An unparsable URL is still redacted as a whole.
  }
  return (text: string) =>
    secrets
      .reduce((redacted, secret) => redacted.replaceAll(secret, "…"), text)
      .replace(/rediss?:\/\/\S*/gi, "redis://…")
}

/** Node reports a refused dual-stack connect as an AggregateError with an empty message. */
const describe = (cause: unknown): string => {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describe(cause.errors[0])
  if (cause instanceof Error) {
    return cause.message || (cause as NodeJS.ErrnoException).code || cause.name
  }
  return String(cause)
}

const errorFor = (redact: (text: string) => string) => (operation: string) => (cause: unknown) =>
  new KvError({ operation, message: `Redis ${operation} failed: ${redact(describe(cause))}` })

/**
 * The edge KV in Redis, where edge workers read it. One client for the layer's lifetime.
 * Startup fails fast (no retries) if Redis is not there; once connected, a lost
 * connection is retried with capped backoff, and commands fail at once meanwhile rather
 * than queueing without bound.
 */
export const make = Effect.fn("RedisKv.make")(function* (url: string, options: RedisKvOptions = {}) {
  const prefix = options.keyPrefix ?? ""
  const redact = redactorFor(url)
  const kvError = errorFor(redact)
  const context = yield* Effect.context<never>()
  let connected = false

  const client = yield* Effect.acquireRelease(
    Effect.try({
      try: () =>
        createClient({
          url,
          disableOfflineQueue: true,
          commandOptions: { timeout: commandTimeoutMs },
          socket: {
            connectTimeout: connectTimeoutMs,
            reconnectStrategy: (retries) =>
              connected ? Math.min(100 * 2 ** retries, maxReconnectDelayMs) + Math.random() * 100 : false
          }
        }),
      catch: kvError("connect")
    }),
    // A connected client drains its pending replies (bounded); one that never connected has none.
    (client) =>
      connected
        ? Effect.tryPromise(() => client.close()).pipe(
            Effect.timeout(closeTimeoutMs),
            Effect.catchCause(() => Effect.sync(() => client.destroy()))
          )
        : Effect.sync(() => client.destroy())
  )
  // Without a listener an "error" event would crash the process; startup errors surface from connect().
  client.on("error", (error: unknown) => {
    if (connected) {
      Effect.runForkWith(context)(Effect.logWarning(`Redis KV connection error: ${redact(describe(error))}`))
    }
  })

  yield* Effect.tryPromise({ try: () => client.connect(), catch: kvError("connect") }).pipe(
    Effect.timeoutOrElse({
      duration: connectDeadlineMs,
      orElse: () => Effect.fail(kvError("connect")(new Error(`no answer within ${connectDeadlineMs} ms`)))
    })
  )
  connected = true

  const get = Effect.fn("RedisKv.get")(function* (key: string) {
    const value = yield* Effect.tryPromise({ try: () => client.get(prefix + key), catch: kvError("get") })
    return value === null ? undefined : value
  })

  const set = Effect.fn("RedisKv.set")(function* (key: string, value: string) {
    yield* Effect.tryPromise({ try: () => client.set(prefix + key, value), catch: kvError("set") })
  })

  // MSET: one command and one write for a whole projector batch.
  const setMany = (entries: ReadonlyArray<readonly [key: string, value: string]>) =>
    entries.length === 0
      ? Effect.void
      : Effect.asVoid(
          Effect.tryPromise({
            try: () => client.mSet(entries.map(([key, value]) => [prefix + key, value] as [string, string])),
            catch: kvError("set")
          })
        )

  const remove = Effect.fn("RedisKv.delete")(function* (key: string) {
    yield* Effect.tryPromise({ try: () => client.del(prefix + key), catch: kvError("delete") })
  })

  return Kv.of({ get, set, setMany, delete: remove })
})

export const layer = (url: string, options: RedisKvOptions = {}): Layer.Layer<Kv, KvError> =>
  Layer.effect(Kv, make(url, options))
