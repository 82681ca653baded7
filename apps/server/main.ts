import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import * as NetAddress from "effect/net/NetAddress"
import * as TenantryHttp from "../../adapters/http/HttpServer.ts"
import { appLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"

// Composition root: configuration in, layers wired, server launched. Nothing else.
const settings = (() => {
  try {
    return settingsFromEnv(process.env)
  } catch (error) {
    console.error(`tenantry: ${(error as Error).message}`)
    process.exit(1)
  }
})()

const announce = Layer.effectDiscard(
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const address = NetAddress.formatUrlUnsafe(server.address).replace(/\/$/, "")
    const storage =
      settings.databaseUrl === undefined
        ? `PGlite in ${settings.dataDir}/pglite`
        : "PostgreSQL (DATABASE_URL)"
    const kv =
      settings.cloudflareKv !== undefined
        ? "Cloudflare Workers KV (CLOUDFLARE_KV_NAMESPACE_ID)"
        : settings.redisUrl === undefined
          ? `files in ${settings.dataDir}/kv`
          : "Redis (REDIS_URL)"
    const lines = [
      `Tenantry listening on ${address}`,
      `  storage: ${storage}; edge KV: ${kv}`,
      `  API docs: ${address}/docs`
    ]
    if (settings.authPublicKey === undefined && settings.authJwksUrl === undefined) {
      lines.push("  dev sessions: mint a token with `npm run cli -- token --user <id> [--email <e>]`")
    }
    yield* Effect.sync(() => console.log(lines.join("\n")))
  })
)

Layer.launch(
  announce.pipe(Layer.provideMerge(TenantryHttp.serve(settings)), Layer.provide(appLayer(settings)))
).pipe(NodeRuntime.runMain)
