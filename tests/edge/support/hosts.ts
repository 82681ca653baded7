import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { build } from "esbuild"
import { Miniflare } from "miniflare"
import * as FileKv from "../../../adapters/kv/FileKv.ts"
import * as RedisKv from "../../../adapters/kv/RedisKv.ts"
import { Kv, type KvError } from "../../../application/ports/Kv.ts"
import { startNodeEdge } from "../../../edge/node/host.ts"
import { edgeHostSettingsFromEnv } from "../../../edge/node/settings.ts"

/** An edge host under test: where to send requests, and the KV the control plane would write. */
export interface EdgeUnderTest {
  readonly url: string
  readonly putKv: (key: string, value: string) => Promise<void>
  readonly deleteKv: (key: string) => Promise<void>
  readonly close: () => Promise<void>
}

export interface EdgeHostOptions {
  readonly overrides: Record<string, string>
  readonly sealKey: Uint8Array
  readonly edgeToken: string
  readonly tenantryUrl: string
  readonly upstreamTimeoutMs: number
}

export type StartEdge = (options: EdgeHostOptions) => Promise<EdgeUnderTest>

/** The Node host, in process, over a real KV adapter (files in a temp dir, or Redis). */
export const nodeHost =
  (kv: { readonly kind: "files" } | { readonly kind: "redis"; readonly url: string }): StartEdge =>
  async (options) => {
    const dataDir = await mkdtemp(join(tmpdir(), "tenantry-edge-"))
    const layer: Layer.Layer<Kv, KvError> =
      kv.kind === "files"
        ? FileKv.layer(join(dataDir, "kv"))
        : RedisKv.layer(kv.url, {
            keyPrefix: `edge-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}:`
          })
    const runtime = ManagedRuntime.make(layer)
    const store = await runtime.runPromise(
      Effect.gen(function* () {
        return yield* Kv
      })
    )
    const settings = edgeHostSettingsFromEnv({
      EDGE_PORT: "0",
      ORIGIN_OVERRIDES: JSON.stringify(options.overrides),
      TENANTRY_URL: options.tenantryUrl,
      EDGE_UPSTREAM_TIMEOUT_MS: String(options.upstreamTimeoutMs),
      EDGE_CACHE_MB: "16"
    })
    const edge = await startNodeEdge({
      settings,
      snapshots: { get: (key) => Effect.runPromise(Effect.map(store.get(key), (value) => value ?? null)) },
      sealKey: new Uint8Array(options.sealKey),
      token: options.edgeToken
    })
    return {
      url: edge.url,
      putKv: (key, value) => Effect.runPromise(store.set(key, value)),
      deleteKv: (key) => Effect.runPromise(store.delete(key)),
      close: async () => {
        await edge.close()
        await runtime.dispose()
        await rm(dataDir, { recursive: true, force: true })
      }
    }
  }

let bundled: Promise<string> | undefined

/** edge/worker.ts bundled as wrangler would (esbuild, ES modules). */
export const workerBundle = () => {
  bundled ??= build({
    entryPoints: [join(import.meta.dirname, "../../../edge/worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false
  }).then((out) => (out.outputFiles[0] as { text: string }).text)
  return bundled
}

/** The Worker host under Miniflare (the real workerd), with a KV namespace and caches.default. */
export const workerHost: StartEdge = async (options) => {
  const mf = new Miniflare({
    modules: true,
    script: await workerBundle(),
    compatibilityDate: "2026-04-01",
    kvNamespaces: ["KV"],
    bindings: {
      PROXY_BASE_DOMAIN: "cachely.localhost",
      ORIGIN_OVERRIDES: JSON.stringify(options.overrides),
      TENANTRY_URL: options.tenantryUrl,
      EDGE_UPSTREAM_TIMEOUT_MS: String(options.upstreamTimeoutMs),
      EDGE_SEAL_KEY: Buffer.from(options.sealKey).toString("base64"),
      EDGE_TOKEN: options.edgeToken
    }
  })
  const url = (await mf.ready).toString().replace(/\/$/, "")
  const kv = (await mf.getKVNamespace("KV")) as unknown as {
    readonly put: (key: string, value: string) => Promise<void>
    readonly delete: (key: string) => Promise<void>
  }
  return {
    url,
    putKv: async (key, value) => {
      await kv.put(key, value)
    },
    deleteKv: async (key) => {
      await kv.delete(key)
    },
    close: () => mf.dispose()
  }
}
