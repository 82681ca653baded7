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
import { nodeUpstream } from "../../../edge/node/upstream.ts"

/** An edge host under test: where to send requests, and the KV the control plane would write. */
export interface EdgeUnderTest {
  readonly url: string
  /**
   * False where the runtime itself answers a Host no URL can hold (workerd: 500 before any
   * Worker code runs; on Cloudflare the front refuses such a request with a 400).
   */
  readonly seesMalformedHosts: boolean
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
      seesMalformedHosts: true,
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

/**
 * The Worker host under Miniflare (the real workerd), with a KV namespace and caches.default.
 * workerd's fetch always sends the URL's own Host, so ORIGIN_OVERRIDES inside a Worker could
 * not keep the origin's Host; here the overrides are applied where `curl --connect-to` would
 * apply them, below the Worker: Miniflare's outbound service connects the Worker's fetch of
 * `https://www.acme.test/…` to the local origin, Host kept (through the Node host's own
 * upstream, so the same code moves the connection).
 */
export const workerHost: StartEdge = async (options) => {
  const overrides = new Map(
    Object.entries(options.overrides).map(([origin, base]) => [origin, new URL(base)])
  )
  const mf = new Miniflare({
    outboundService: async (request: Request) => {
      const url = new URL(request.url)
      // Loopback (the log ingestion stand-in) is reached as it is.
      const connectTo =
        overrides.get(url.origin) ?? (url.hostname === "127.0.0.1" ? new URL(url.origin) : undefined)
      if (connectTo === undefined) return new Response("no route in the test network", { status: 502 })
      return nodeUpstream({
        url,
        connectTo,
        method: request.method,
        headers: new Headers(request.headers as unknown as Headers),
        body: request.body as ReadableStream<Uint8Array> | null,
        signal: new AbortController().signal
      }) as never
    },
    modules: true,
    script: await workerBundle(),
    compatibilityDate: "2026-04-01",
    kvNamespaces: ["KV"],
    bindings: {
      PROXY_BASE_DOMAIN: "cachely.localhost",
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
    seesMalformedHosts: false,
    putKv: async (key, value) => {
      await kv.put(key, value)
    },
    deleteKv: async (key) => {
      await kv.delete(key)
    },
    close: () => mf.dispose()
  }
}
