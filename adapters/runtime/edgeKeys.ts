import { randomBytes } from "node:crypto"
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"

/**
 * The keys the control plane and its edges share (CONTRACT.md, Edge), loaded in ONE place
 * for the server (`apps/server`), the ingestion endpoint and the edge (`apps/edge`):
 *
 * - `EDGE_SEAL_KEY`: base64 of 32 bytes. Seals the API token in `proxy:{slug}` (AES-256-GCM,
 *   the slug as associated data) and keys `x-cachely-proof`.
 * - `EDGE_TOKENS` (server, comma-separated): the bearer tokens `POST /api/edge/logs` accepts.
 * - `EDGE_TOKEN` (edge): the one it ships logs with.
 *
 * In development, whatever is unset is generated once into `DATA_DIR` (`dev-edge-seal-key`,
 * `dev-edge-token`, mode 0600) and read by both sides, so `npm start` plus `npm run edge` need
 * no set-up. In production nothing is generated: the edge refuses to start without
 * `EDGE_SEAL_KEY` and `EDGE_TOKEN`; the server starts without them but seals no token into
 * snapshots (their API proxy reports the token missing) and accepts no edge token.
 */
export class EdgeKeysError extends Schema.TaggedError<EdgeKeysError>()("EdgeKeysError", {
  message: Schema.String
}) {}

export const devEdgeSealKeyFile = "dev-edge-seal-key"
export const devEdgeTokenFile = "dev-edge-token"
const sealKeyBytes = 32

export interface EdgeKeySettings {
  readonly sealKey: string | undefined
  readonly tokens: ReadonlyArray<string>
  readonly token: string | undefined
}

const nonEmpty = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

/** The raw environment variables; nothing is decoded or generated yet. */
export const edgeKeySettingsFromEnv = (env: NodeJS.ProcessEnv): EdgeKeySettings => ({
  sealKey: nonEmpty(env.EDGE_SEAL_KEY),
  tokens: (env.EDGE_TOKENS ?? "")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token.length > 0),
  token: nonEmpty(env.EDGE_TOKEN)
})

const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/

const decodeSealKey = (text: string, source: string) => {
  const trimmed = text.trim()
  const key = base64.test(trimmed) ? Buffer.from(trimmed, "base64") : undefined
  return key !== undefined && key.length === sealKeyBytes
    ? Effect.succeed(new Uint8Array(key))
    : Effect.fail(
        new EdgeKeysError({
          message: `${source} must be base64 of exactly ${sealKeyBytes} bytes (e.g. \`openssl rand -base64 32\`)`
        })
      )
}

const errorCode = (cause: unknown) =>
  typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "unknown"

/**
 * The text of `dataDir/name`, written first (whole, to a temporary file hard-linked into
 * place, which fails if the name exists) when missing: concurrent starts of the server and
 * the edge agree on one value and never read a partial one.
 */
const devFile = (dataDir: string, name: string, fresh: () => string) =>
  Effect.tryPromise({
    try: async () => {
      const path = join(dataDir, name)
      try {
        return (await readFile(path, "utf8")).trim()
      } catch (cause) {
        if (errorCode(cause) !== "ENOENT") throw cause
      }
      await mkdir(dataDir, { recursive: true, mode: 0o700 })
      const temporary = join(dataDir, `.${name}.${process.pid}.${randomBytes(6).toString("hex")}`)
      await writeFile(temporary, `${fresh()}\n`, { mode: 0o600, flag: "wx" })
      try {
        await link(temporary, path)
      } catch (cause) {
        if (errorCode(cause) !== "EEXIST") throw cause
      } finally {
        await unlink(temporary)
      }
      return (await readFile(path, "utf8")).trim()
    },
    catch: (cause) =>
      new EdgeKeysError({ message: `cannot read or write ${join(dataDir, name)} (${errorCode(cause)})` })
  })

export interface EdgeKeyOptions {
  readonly settings: EdgeKeySettings
  readonly dataDir: string
  readonly production: boolean
}

/**
 * EDGE_SEAL_KEY's 32 bytes; in development the shared generated one; in production
 * `undefined` when unset (the caller decides whether it can run without).
 */
export const loadEdgeSealKey = Effect.fn("loadEdgeSealKey")(function* (options: EdgeKeyOptions) {
  if (options.settings.sealKey !== undefined)
    return yield* decodeSealKey(options.settings.sealKey, "EDGE_SEAL_KEY")
  if (options.production) return undefined
  const text = yield* devFile(options.dataDir, devEdgeSealKeyFile, () =>
    randomBytes(sealKeyBytes).toString("base64")
  )
  return yield* decodeSealKey(text, join(options.dataDir, devEdgeSealKeyFile))
})

const freshToken = () => `edge_${randomBytes(32).toString("base64url")}`

/** The tokens the server accepts from edges: EDGE_TOKENS, else (development) the generated one. */
export const loadEdgeTokens = Effect.fn("loadEdgeTokens")(function* (options: EdgeKeyOptions) {
  if (options.settings.tokens.length > 0) return options.settings.tokens
  if (options.production) return [] as ReadonlyArray<string>
  return [yield* devFile(options.dataDir, devEdgeTokenFile, freshToken)] as ReadonlyArray<string>
})

/** The token an edge ships logs with: EDGE_TOKEN, else (development) the generated one. */
export const loadEdgeToken = Effect.fn("loadEdgeToken")(function* (options: EdgeKeyOptions) {
  if (options.settings.token !== undefined) return options.settings.token
  if (options.production) return undefined
  return yield* devFile(options.dataDir, devEdgeTokenFile, freshToken)
})
