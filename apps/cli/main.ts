import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Schema, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { loadOrCreateDevKeys, mintDevToken } from "../../adapters/auth/devKeys.ts"
import { databaseConfig, logsDatabaseConfig } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import { exportTenant, tenantIdOfSlug, verifyChains } from "../../adapters/sql/auditChain.ts"
import * as LogsDatabase from "../../adapters/sql/logs/LogsDatabase.ts"
import { rebuildRollups } from "../../adapters/sql/logs/rebuildRollups.ts"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { edgeConfigProjectorName } from "../../application/edge/edgeConfigProjector.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { ProjectionCheckpoints } from "../../application/ports/ProjectionCheckpoints.ts"

/** A refusal the user can act on: printed as one line, exit code 1. */
class CliError extends Schema.TaggedError<CliError>()("CliError", { message: Schema.String }) {}

// Composition root of the admin CLI: each command wires only what it needs.
const settings = settingsFromEnv(process.env)
const storage = SqlStorage.layer(databaseConfig(settings))
const asyncProjections = [edgeConfigProjectorName]

const token = Command.make(
  "token",
  {
    user: Flag.String("user").pipe(Flag.withDescription("User id (the token's sub)")),
    email: Flag.String("email").pipe(Flag.withDescription("Email claim"), Flag.optional),
    ttl: Flag.Int("ttl").pipe(Flag.withDescription("Lifetime in seconds"), Flag.withDefault(24 * 3600))
  },
  Effect.fn(function* ({ user, email, ttl }) {
    if (settings.authPublicKey !== undefined || settings.authJwksUrl !== undefined) {
      return yield* new CliError({
        message:
          "Sessions are verified with AUTH_JWT_PUBLIC_KEY/AUTH_JWKS_URL: mint tokens with your identity provider"
      })
    }
    const keys = yield* loadOrCreateDevKeys(settings.dataDir)
    const jwt = yield* mintDevToken({
      privateKey: keys.privateKey,
      kid: keys.kid,
      userId: user,
      email: Option.getOrUndefined(email),
      ttlSeconds: ttl
    })
    yield* Console.log(jwt)
  })
).pipe(Command.withDescription("Mint a development session token (dev key pair in DATA_DIR)"))

const migrate = Command.make(
  "migrate",
  {},
  Effect.fn(function* () {
    yield* Effect.provide(Effect.void, storage)
    yield* Console.log("migrations applied")
  })
).pipe(Command.withDescription("Apply pending database migrations"))

const replay = Command.make(
  "replay",
  {
    projection: Argument.String("projection").pipe(
      Argument.withDescription("tenants | tenant_members | edge-config | all")
    )
  },
  Effect.fn(function* ({ projection }) {
    const inline = SqlStorage.inlineProjections.filter((p) => projection === "all" || p.name === projection)
    const async = asyncProjections.filter((name) => projection === "all" || name === projection)
    if (inline.length === 0 && async.length === 0) {
      const known = [...SqlStorage.inlineProjections.map((p) => p.name), ...asyncProjections].join(", ")
      return yield* new CliError({ message: `Unknown projection "${projection}" (known: ${known}, all)` })
    }
    yield* Effect.gen(function* () {
      for (const p of inline) {
        const replayed = yield* rebuildInlineProjection(p)
        yield* Console.log(`${p.name}: rebuilt from ${replayed} events`)
      }
      const checkpoints = yield* ProjectionCheckpoints
      for (const name of async) {
        yield* checkpoints.reset(name)
        yield* Console.log(`${name}: checkpoint reset; the running server replays it from the start`)
      }
    }).pipe(Effect.provide(storage))
  })
).pipe(Command.withDescription("Rebuild a projection from the event log"))

const projections = Command.make(
  "projections",
  {},
  Effect.fn(function* () {
    yield* Effect.gen(function* () {
      const store = yield* EventStore
      const checkpoints = yield* ProjectionCheckpoints
      const head = yield* store.headPosition
      for (const name of asyncProjections) {
        const checkpoint = yield* checkpoints.load(name)
        yield* Console.log(`${name}: at position ${checkpoint.position} of ${head}`)
      }
    }).pipe(Effect.provide(storage))
  })
).pipe(Command.withDescription("Show each async projection's checkpoint against the head of the log"))

/** The tenant a slug named (live or deleted), or a refusal naming the slug. */
const tenantNamed = (slug: string) =>
  Effect.flatMap(tenantIdOfSlug(slug), (tenantId) =>
    tenantId === undefined
      ? Effect.fail(new CliError({ message: `No tenant was ever created as "${slug}"` }))
      : Effect.succeed(tenantId)
  )

const auditVerify = Command.make(
  "verify",
  {
    slug: Argument.String("slug").pipe(
      Argument.withDescription("Only this tenant's streams"),
      Argument.optional
    )
  },
  Effect.fn(function* ({ slug }) {
    yield* Effect.gen(function* () {
      const tenantId = Option.isSome(slug) ? yield* tenantNamed(slug.value) : undefined
      const result = yield* verifyChains(tenantId)
      for (const link of result.broken) {
        yield* Console.log(
          `broken at id ${link.id ?? "-"} (stream ${link.stream}, version ${link.version ?? "-"}): ${link.problem}`
        )
      }
      if (result.broken.length > 0) {
        return yield* new CliError({
          message: `${result.broken.length} of ${result.streams} streams broken (first at id ${result.broken[0]!.id ?? "-"})`
        })
      }
      yield* Console.log(`ok: ${result.events} events in ${result.streams} streams, every chain holds`)
    }).pipe(Effect.provide(storage))
  })
).pipe(
  Command.withDescription(
    "Walk the hash chains (of one tenant, or all) and report the first broken link of each stream"
  )
)

const auditExport = Command.make(
  "export",
  {
    slug: Argument.String("slug").pipe(Argument.withDescription("The tenant (live or deleted)")),
    after: Flag.Int("after").pipe(Flag.withDescription("Only events with a larger id"), Flag.withDefault(0))
  },
  Effect.fn(function* ({ slug, after }) {
    yield* Effect.gen(function* () {
      const tenantId = yield* tenantNamed(slug)
      yield* exportTenant(tenantId, after).pipe(
        Stream.runForEach((text) =>
          Effect.callback<void>((resume) => {
            process.stdout.write(text, () => resume(Effect.void))
          })
        )
      )
    }).pipe(Effect.provide(storage))
  })
).pipe(
  Command.withDescription(
    "Write a tenant's events as NDJSON that docs/audit.md's verifier checks with SHA-256 alone"
  )
)

const audit = Command.make("audit").pipe(
  Command.withDescription("The audit log's hash chains"),
  Command.withSubcommands([auditVerify, auditExport])
)

const logsRebuildRollups = Command.make(
  "rebuild-rollups",
  { slug: Argument.String("slug").pipe(Argument.withDescription("The tenant (live or deleted)")) },
  Effect.fn(function* ({ slug }) {
    const tenantId = yield* tenantNamed(slug).pipe(Effect.provide(storage))
    const { records } = yield* Effect.gen(function* () {
      return yield* rebuildRollups(yield* LogsDatabase.LogsSql, { tenantId })
    }).pipe(Effect.provide(Layer.orDie(LogsDatabase.layer(logsDatabaseConfig(settings)))))
    yield* Console.log(`${slug}: rollups and top paths rebuilt from ${records} stored request logs`)
  })
).pipe(
  Command.withDescription(
    "Rebuild a tenant's analytics rollups from its stored request logs (ingestion waits meanwhile)"
  )
)

const logs = Command.make("logs").pipe(
  Command.withDescription("The request-log store"),
  Command.withSubcommands([logsRebuildRollups])
)

Command.make("tenantry").pipe(
  Command.withDescription("Tenantry admin CLI"),
  Command.withSubcommands([token, migrate, replay, projections, audit, logs]),
  Command.run({ version: "0.1.0" }),
  Effect.catchTag("CliError", (error) =>
    Effect.sync(() => {
      console.error(`tenantry: ${error.message}`)
      process.exitCode = 1
    })
  ),
  Effect.provide(Layer.mergeAll(NodeServices.layer)),
  NodeRuntime.runMain
)
