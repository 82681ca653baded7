import { join } from "node:path"
import { Effect, Layer } from "effect"
import { Config, type TenantryConfig } from "../../application/config.ts"
import { type DomainCheckRequirements, domainCheck } from "../../application/customDomains/domainCheckJob.ts"
import { VerifyLimits } from "../../application/customDomains/verifyLimits.ts"
import { edgeConfigProjector } from "../../application/edge/edgeConfigProjector.ts"
import { CommandHandler } from "../../application/handleCommand.ts"
import { defaultLogsSettings, LogsConfig } from "../../application/logs/LogsConfig.ts"
import { logPartitions, scheduleLogPartitions } from "../../application/logs/maintainLogPartitions.ts"
import { Ids } from "../../application/ports/Ids.ts"
import type { RequestLogs } from "../../application/ports/RequestLogs.ts"
import { ProjectionWaits } from "../../application/projections/projectionWaits.ts"
import { runProjector } from "../../application/projections/runProjector.ts"
import { runScheduler, type ScheduledJob } from "../../application/schedulers/runScheduler.ts"
import { loadOrCreateDevKeys } from "../auth/devKeys.ts"
import * as JwtSessions from "../auth/JwtSessions.ts"
import * as EdgeProofLive from "../crypto/edgeProof.ts"
import * as EdgeSealLayer from "../crypto/edgeSeal.ts"
import { loadMasterKey } from "../crypto/masterKey.ts"
import * as SqlSecretBox from "../crypto/SqlSecretBox.ts"
import * as WebhookSecrets from "../crypto/webhookSecrets.ts"
import * as NodeDns from "../dns/NodeDns.ts"
import { EdgeTokens, makeEdgeTokens } from "../http/edgeTokens.ts"
import * as CloudflareKv from "../kv/CloudflareKv.ts"
import * as FileKv from "../kv/FileKv.ts"
import * as RedisKv from "../kv/RedisKv.ts"
import * as LogMailer from "../mail/LogMailer.ts"
import * as SmtpMailer from "../mail/SmtpMailer.ts"
import * as CheckQuotaLive from "../outbound/checkQuota.ts"
import * as HtmlPageReader from "../outbound/HtmlPageReader.ts"
import * as UndiciOutboundFetch from "../outbound/UndiciOutboundFetch.ts"
import type * as Database from "../sql/Database.ts"
import * as LogsDatabase from "../sql/logs/LogsDatabase.ts"
import * as SqlRequestLogs from "../sql/logs/SqlRequestLogs.ts"
import * as SqlCustomDomainReadModel from "../sql/SqlCustomDomainReadModel.ts"
import * as SqlMembersReadModel from "../sql/SqlMembersReadModel.ts"
import * as SqlStorage from "../sql/SqlStorage.ts"
import * as SqlTenantReadModel from "../sql/SqlTenantReadModel.ts"
import * as SqlWebhookStore from "../sql/SqlWebhookStore.ts"
import { loadEdgeSealKey, loadEdgeTokens } from "./edgeKeys.ts"
import type { Settings } from "./settings.ts"

export const tenantryConfig = (settings: Settings): TenantryConfig => ({
  proxyBaseDomain: settings.proxyBaseDomain,
  publicBaseUrl: settings.publicBaseUrl,
  plans: settings.plans,
  defaultPlan: settings.defaultPlan,
  masterAdminUserIds: settings.masterAdminUserIds,
  inviteTtlHours: settings.inviteTtlHours,
  domains: settings.domains,
  webhookRateLimits: settings.webhookRateLimits
})

export const databaseConfig = (settings: Settings): Database.DatabaseConfig =>
  settings.databaseUrl === undefined
    ? { _tag: "pglite", dataDir: join(settings.dataDir, "pglite") }
    : { _tag: "postgres", url: settings.databaseUrl }

/** Verifies sessions with the configured key, or in development with the key pair in DATA_DIR. */
export const sessionsLayer = (settings: Settings) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const configured = settings.authPublicKey !== undefined || settings.authJwksUrl !== undefined
      const publicKey = configured
        ? settings.authPublicKey
        : JSON.stringify((yield* loadOrCreateDevKeys(settings.dataDir)).publicJwk)
      return JwtSessions.layer({
        publicKey,
        jwksUrl: settings.authJwksUrl,
        issuer: settings.authIssuer,
        authorizedParties: settings.authAuthorizedParties
      })
    })
  )

export const mailerLayer = (settings: Settings) =>
  settings.smtpUrl === undefined
    ? LogMailer.layer
    : SmtpMailer.layer({ url: settings.smtpUrl, from: settings.mailFrom })

/** Cloudflare Workers KV when configured, else Redis when REDIS_URL is set, else files in DATA_DIR. */
export const kvLayer = (settings: Settings) =>
  settings.cloudflareKv !== undefined
    ? CloudflareKv.layer(settings.cloudflareKv)
    : settings.redisUrl === undefined
      ? FileKv.layer(join(settings.dataDir, "kv"))
      : RedisKv.layer(settings.redisUrl)

/**
 * Every scheduled job (application/schedulers/runScheduler.ts), run by the one scheduler on
 * the node holding its lease. Add a job here; its rows name it in `scheduled_jobs`.
 */
export const scheduledJobs = (
  _settings: Settings
): ReadonlyArray<ScheduledJob<DomainCheckRequirements | RequestLogs | LogsConfig>> => [
  domainCheck,
  logPartitions
]

/** Keeps every async projection running for the layer's lifetime (one node at a time each). */
export const projectorsLayer = Layer.effectDiscard(Effect.forkScoped(runProjector(edgeConfigProjector)))

/** Keeps the scheduler running for the layer's lifetime (one node at a time). */
export const schedulerLayer = (settings: Settings) =>
  Layer.effectDiscard(
    Effect.andThen(scheduleLogPartitions, Effect.forkScoped(runScheduler(scheduledJobs(settings))))
  )

/** What runs in the background of a server: the projectors and the scheduler. */
export const backgroundLayer = (settings: Settings) => Layer.merge(projectorsLayer, schedulerLayer(settings))

/**
 * Everything the use cases need, on the configured storage: the core (event store,
 * read models, command handling), the edge KV, secrets and sessions. Async projectors
 * are separate so a one-shot CLI command does not start them.
 */
export const coreLayer = (
  settings: Settings,
  storage: Layer.Layer<Layer.Success<ReturnType<typeof SqlStorage.layer>>, unknown>,
  /** The logs database; the configured one (logsDatabaseConfig) when not given. */
  logsDatabase?: Layer.Layer<LogsDatabase.LogsSql, unknown>
) => {
  const secretBox = Layer.unwrap(
    Effect.map(
      loadMasterKey({
        encryptionKey: settings.encryptionKey,
        dataDir: settings.dataDir,
        production: settings.production
      }),
      SqlSecretBox.layer
    )
  )
  const edgeSeal = Layer.unwrap(
    Effect.map(
      loadEdgeSealKey({
        settings: settings.edgeKeys,
        dataDir: settings.dataDir,
        production: settings.production
      }),
      EdgeSealLayer.layer
    )
  )
  return Layer.mergeAll(
    CommandHandler.layer,
    edgeSeal,
    ProjectionWaits.layer,
    VerifyLimits.layer,
    SqlTenantReadModel.layer,
    SqlMembersReadModel.layer,
    SqlCustomDomainReadModel.layer,
    SqlWebhookStore.layer,
    WebhookSecrets.layer,
    mailerLayer(settings),
    secretBox,
    kvLayer(settings),
    sessionsLayer(settings),
    NodeDns.layer({ servers: settings.dnsServers }),
    checksLayer(settings),
    Ids.random,
    Layer.succeed(Config, tenantryConfig(settings)),
    logsLayer(settings, logsDatabase),
    edgeTokensLayer(settings)
  ).pipe(Layer.provideMerge(storage))
}

/**
 * The logs database (request logs: telemetry, not events): LOGS_DATABASE_URL; else a second
 * database `{name}_logs` on DATABASE_URL's server, created when missing; else a second PGlite
 * under DATA_DIR.
 */
export const logsDatabaseConfig = (settings: Settings): LogsDatabase.LogsDatabaseConfig =>
  settings.logsDatabaseUrl !== undefined
    ? { _tag: "postgres", url: settings.logsDatabaseUrl }
    : settings.databaseUrl !== undefined
      ? { _tag: "postgres", url: LogsDatabase.siblingLogsUrl(settings.databaseUrl), create: true }
      : { _tag: "pglite", dataDir: join(settings.dataDir, "pglite-logs") }

/** The request-log store and its settings, over the configured (or a given) logs database. */
export const logsLayer = (settings: Settings, database?: Layer.Layer<LogsDatabase.LogsSql, unknown>) =>
  Layer.mergeAll(
    SqlRequestLogs.layer,
    Layer.succeed(LogsConfig, { ...defaultLogsSettings, retentionDays: settings.logRetentionDays })
  ).pipe(Layer.provideMerge(database ?? LogsDatabase.layer(logsDatabaseConfig(settings))))

/** The edge tokens ingestion accepts: EDGE_TOKENS, else (development) the one generated into DATA_DIR. */
export const edgeTokensLayer = (settings: Settings) =>
  Layer.effect(
    EdgeTokens,
    Effect.map(
      loadEdgeTokens({
        settings: settings.edgeKeys,
        dataDir: settings.dataDir,
        production: settings.production
      }),
      makeEdgeTokens
    )
  )

/** What the outbound checks need: the one outbound fetcher, the page reader, the edge proof, the quota. */
export const checksLayer = (settings: Settings) =>
  Layer.mergeAll(
    UndiciOutboundFetch.layer({ overrides: settings.originOverrides, production: settings.production }).pipe(
      Layer.provide(NodeDns.layer({ servers: settings.dnsServers }))
    ),
    HtmlPageReader.layer,
    EdgeProofLive.layer({
      settings: settings.edgeKeys,
      dataDir: settings.dataDir,
      production: settings.production
    }),
    CheckQuotaLive.layer(settings.checkRateLimit)
  )

/** The running application: the core plus its projectors and scheduler. */
export const appLayer = (settings: Settings) => {
  const core = coreLayer(settings, SqlStorage.layer(databaseConfig(settings)))
  return backgroundLayer(settings).pipe(Layer.provideMerge(core))
}
