import { join } from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import * as FileKv from "../../adapters/kv/FileKv.ts"
import * as RedisKv from "../../adapters/kv/RedisKv.ts"
import { edgeKeySettingsFromEnv, loadEdgeSealKey, loadEdgeToken } from "../../adapters/runtime/edgeKeys.ts"
import { Kv, type KvError } from "../../application/ports/Kv.ts"
import { startNodeEdge } from "../../edge/node/host.ts"
import { edgeHostSettingsFromEnv } from "../../edge/node/settings.ts"

// Composition root of the Node edge (`npm run edge`): environment in, KV and keys wired,
// the edge listening. Nothing else.
const fail = (message: string): never => {
  console.error(`tenantry edge: ${message}`)
  process.exit(1)
}

const settings = (() => {
  try {
    return edgeHostSettingsFromEnv(process.env)
  } catch (error) {
    return fail((error as Error).message)
  }
})()
const dataDir = join(process.env.DATA_DIR?.trim() || "./.data")
const redisUrl = process.env.REDIS_URL?.trim() || undefined
const keyOptions = { settings: edgeKeySettingsFromEnv(process.env), dataDir, production: settings.production }

const kvLayer: Layer.Layer<Kv, KvError> =
  redisUrl === undefined ? FileKv.layer(join(dataDir, "kv")) : RedisKv.layer(redisUrl)
const runtime = ManagedRuntime.make(kvLayer)

const main = async () => {
  const [sealKey, token] = await Effect.runPromise(
    Effect.all([loadEdgeSealKey(keyOptions), loadEdgeToken(keyOptions)]).pipe(
      Effect.catch((error) => Effect.sync(() => fail(error.message)))
    )
  )
  if (settings.production && (sealKey === undefined || token === undefined)) {
    fail(
      `NODE_ENV=production needs ${[sealKey === undefined ? "EDGE_SEAL_KEY" : "", token === undefined ? "EDGE_TOKEN" : ""].filter(Boolean).join(" and ")}`
    )
  }
  const kv = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* Kv
    })
  )
  const edge = await startNodeEdge({
    settings,
    snapshots: { get: (key) => Effect.runPromise(Effect.map(kv.get(key), (value) => value ?? null)) },
    sealKey: sealKey === undefined ? undefined : new Uint8Array(sealKey),
    token
  })
  console.log(
    [
      `Tenantry edge listening on ${edge.url}`,
      `  KV: ${redisUrl === undefined ? `files in ${join(dataDir, "kv")}` : "Redis (REDIS_URL)"}; tenants at {slug}.${settings.proxyBaseDomain}`,
      `  request logs to ${settings.tenantryUrl}/api/edge/logs`
    ].join("\n")
  )
  const stop = () => {
    edge
      .close()
      .then(() => runtime.dispose())
      .finally(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)))
