import { createHash } from "node:crypto"
import { Effect, Layer } from "effect"
import { Kv, KvError } from "../../application/ports/Kv.ts"

/**
 * The edge KV as a Cloudflare Workers KV namespace, written through Cloudflare's REST API
 * (`/accounts/{account}/storage/kv/namespaces/{namespace}`): `PUT …/bulk` writes up to
 * 10,000 pairs at once, `POST …/bulk/delete` deletes keys, `GET …/values/{key}` reads one.
 * The Worker host (edge/worker.ts) reads the same namespace through its `KV` binding, so a
 * real deployment needs no glue.
 *
 * Workers KV names are 1–512 bytes and never `.` or `..`; every key the edge reads
 * (`proxy:{slug}`, `host:{hostname}`) is one as it is and is stored as itself. Any other key
 * (empty, too long, `.`/`..`, or starting with our escape `~`) is stored as `~` and its
 * SHA-256, so it still round-trips and stays its own entry.
 */
export interface CloudflareKvConfig {
  readonly accountId: string
  readonly namespaceId: string
  readonly apiToken: string
  /** `https://api.cloudflare.com/client/v4` unless set (tests point it at a local fake). */
  readonly apiBaseUrl?: string | undefined
}

export const defaultCloudflareApi = "https://api.cloudflare.com/client/v4"
const bulkLimit = 10_000
const maxKeyBytes = 512

export const cloudflareKeyFor = (key: string): string => {
  const plain =
    key !== "" &&
    key !== "." &&
    key !== ".." &&
    !key.startsWith("~") &&
    key.isWellFormed() &&
    Buffer.byteLength(key, "utf8") <= maxKeyBytes
  return plain ? key : `~${createHash("sha256").update(key, "utf16le").digest("hex")}`
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export const make = (config: CloudflareKvConfig): Kv["Service"] => {
  const base = `${(config.apiBaseUrl ?? defaultCloudflareApi).replace(/\/+$/, "")}/accounts/${encodeURIComponent(config.accountId)}/storage/kv/namespaces/${encodeURIComponent(config.namespaceId)}`
  const authorization = `Bearer ${config.apiToken}`

  /** One API call; a refusal becomes a KvError naming the operation and Cloudflare's errors (never the token). */
  const call = (operation: string, path: string, init: RequestInit, accept404 = false) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${base}${path}`, {
          ...init,
          signal,
          headers: { authorization, ...(init.headers as Record<string, string> | undefined) }
        })
        if (accept404 && response.status === 404) {
          await response.body?.cancel()
          return undefined
        }
        const text = await response.text()
        if (!response.ok) {
          let detail = `HTTP ${response.status}`
          try {
            const errors =
              (JSON.parse(text) as { errors?: Array<{ code?: number; message?: string }> }).errors ?? []
            if (errors.length > 0)
              detail += `: ${errors.map((error) => `${error.code} ${error.message}`).join("; ")}`
          } catch {}
          throw new Error(detail)
        }
        return text
      },
      catch: (cause) =>
        new KvError({
          operation,
          message: `Cloudflare KV: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })

  const setMany = (entries: ReadonlyArray<readonly [string, string]>) => {
    // The last value of a key listed twice wins, as the port says.
    const latest = new Map<string, string>()
    for (const [key, value] of entries) {
      const name = cloudflareKeyFor(key)
      latest.delete(name)
      latest.set(name, value)
    }
    return Effect.forEach(
      chunks([...latest], bulkLimit),
      (chunk) =>
        call("setMany", "/bulk", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(chunk.map(([key, value]) => ({ key, value })))
        }),
      { discard: true }
    )
  }

  return {
    get: (key) =>
      Effect.map(
        call("get", `/values/${encodeURIComponent(cloudflareKeyFor(key))}`, { method: "GET" }, true),
        (text) => text
      ),
    set: (key, value) => setMany([[key, value]]),
    setMany: (entries) => (entries.length === 0 ? Effect.void : setMany(entries)),
    delete: (key) =>
      Effect.asVoid(
        call("delete", "/bulk/delete", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([cloudflareKeyFor(key)])
        })
      )
  }
}

export const layer = (config: CloudflareKvConfig): Layer.Layer<Kv> => Layer.succeed(Kv, make(config))
