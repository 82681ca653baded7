import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { HttpServer } from "effect/http"
import * as NetAddress from "effect/net/NetAddress"
import type { SqlClient } from "effect/sql"
import { loadOrCreateDevKeys, mintDevToken } from "../../adapters/auth/devKeys.ts"
import * as TenantryHttp from "../../adapters/http/HttpServer.ts"
import { backgroundLayer, coreLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import type { Config } from "../../application/config.ts"
import type { CommandHandler } from "../../application/handleCommand.ts"
import type { EventStore } from "../../application/ports/EventStore.ts"
import type { Kv } from "../../application/ports/Kv.ts"
import type { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"
import type { RequestLogs } from "../../application/ports/RequestLogs.ts"
import type { SecretBox } from "../../application/ports/SecretBox.ts"
import type { TenantReadModel } from "../../application/ports/TenantReadModel.ts"
import type { WebhookSecrets, WebhookStore } from "../../application/ports/WebhookStore.ts"
import type { ProjectionWaits } from "../../application/projections/projectionWaits.ts"
import type { DatabaseTarget } from "./databases.ts"
import { freshLogsDatabase } from "./logsDatabases.ts"

/** The server's own services a test may reach into. */
export type ServerServices =
  | EventStore
  | ProjectionCheckpoints
  | Kv
  | SecretBox
  | TenantReadModel
  | Config
  | SqlClient.SqlClient
  | HttpServer.HttpServer
  | CommandHandler
  | WebhookStore
  | WebhookSecrets
  | ProjectionWaits
  | RequestLogs

export interface TestServer {
  readonly baseUrl: string
  readonly dataDir: string
  /** A session token for `userId`, signed by the server's dev key. */
  readonly token: (userId: string, options?: { email?: string; ttlSeconds?: number }) => Promise<string>
  /** Runs an effect against the server's own services (event store, KV, read models…). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, ServerServices>) => Promise<A>
  readonly close: () => Promise<void>
}

export const masterAdminId = "user_master_admin"

/**
 * A real Tenantry on 127.0.0.1 (port 0), on a fresh database of the target, with the
 * edge KV in files under a temp DATA_DIR, or in Redis when `redisUrl` is given.
 */
export const startTestServer = async (
  target: DatabaseTarget,
  env: Record<string, string> = {}
): Promise<TestServer> => {
  const dataDir = await mkdtemp(join(tmpdir(), "tenantry-e2e-"))
  const settings = settingsFromEnv({
    DATA_DIR: dataDir,
    PORT: "0",
    HOST: "127.0.0.1",
    MASTER_ADMIN_USER_IDS: masterAdminId,
    PLANS: JSON.stringify({ free: { maxTenants: 3 }, pro: { maxTenants: 50 } }),
    // No test ever asks the real internet: a dead loopback port unless the test brings a DNS server.
    DNS_SERVERS: "127.0.0.1:9",
    ...env
  })
  const core = coreLayer(settings, SqlStorage.layerOn(target.layer()), freshLogsDatabase(target.name))
  const app = TenantryHttp.serve(settings).pipe(
    Layer.provideMerge(backgroundLayer(settings).pipe(Layer.provideMerge(core)))
  )
  const runtime = ManagedRuntime.make(app as Layer.Layer<ServerServices, unknown, never>)
  const server = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* HttpServer.HttpServer
    })
  )
  const baseUrl = NetAddress.formatUrlUnsafe(server.address).replace(/\/$/, "")
  const keys = await Effect.runPromise(loadOrCreateDevKeys(dataDir))
  return {
    baseUrl,
    dataDir,
    token: (userId, options = {}) =>
      Effect.runPromise(
        mintDevToken({
          privateKey: keys.privateKey,
          kid: keys.kid,
          userId,
          email: options.email,
          ttlSeconds: options.ttlSeconds ?? 3600
        })
      ),
    run: (effect) => runtime.runPromise(effect),
    close: async () => {
      await runtime.dispose()
      // A file-KV write the projector began before the interruption (tmp file, then rename)
      // can still land while the directory is being removed: retry on ENOTEMPTY.
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
    }
  }
}
