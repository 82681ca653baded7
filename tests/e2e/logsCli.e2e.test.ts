import { execFile } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { tenantIdOfSlug } from "../../adapters/sql/auditChain.ts"
import * as Database from "../../adapters/sql/Database.ts"
import * as LogsDatabase from "../../adapters/sql/logs/LogsDatabase.ts"
import * as SqlRequestLogs from "../../adapters/sql/logs/SqlRequestLogs.ts"
import { RequestLogs } from "../../application/ports/RequestLogs.ts"
import type { TenantId } from "../../domain/shared/ids.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { createGenericTenant } from "../support/http.ts"
import { logRecord } from "../support/requestLogs.ts"
import { postgresUrl } from "../support/services.ts"
import { startTestServer } from "../support/testServer.ts"

const run = promisify(execFile)
const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

/**
 * `npm run cli -- logs rebuild-rollups`, spawned as an operator runs it, against PostgreSQL (a
 * PGlite data directory takes the CLI tens of seconds to open on a busy box; the rebuild itself
 * runs on both engines in the RequestLogs contract).
 */
describe.runIf(postgresUrl !== undefined)("npm run cli -- logs rebuild-rollups (PostgreSQL)", () => {
  it("given a tenant whose daily rollup was damaged, when an operator rebuilds its rollups, then they count its stored request logs again; an unknown slug exits 1 naming it", async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const databaseUrl = yield* freshPostgresDatabase(postgresUrl!)
          const logsUrl = yield* freshPostgresDatabase(postgresUrl!)
          const server = yield* Effect.acquireRelease(
            Effect.promise(() =>
              startTestServer({
                name: "postgres",
                layer: () => Database.layer({ _tag: "postgres", url: databaseUrl, maxConnections: 5 })
              })
            ),
            (server) => Effect.promise(() => server.close())
          )
          const owner = yield* Effect.promise(() => server.token(`user_logs_cli_${Date.now().toString(36)}`))
          const slug = yield* Effect.promise(() => createGenericTenant(server, owner, "logscli"))
          const tenantId = (yield* Effect.promise(() => server.run(tenantIdOfSlug(slug)))) as TenantId

          const logs = yield* Layer.build(
            SqlRequestLogs.layer.pipe(
              Layer.provideMerge(LogsDatabase.layer({ _tag: "postgres", url: logsUrl, maxConnections: 2 }))
            )
          )
          const records = Array.from({ length: 25 }, (_, i) => logRecord({ tenantId, path: `/p${i % 4}` }))
          yield* RequestLogs.use((port) => port.ingest({ batchId: undefined, records })).pipe(
            Effect.provideContext(logs)
          )
          const sql = yield* LogsDatabase.LogsSql.pipe(Effect.provideContext(logs))
          const dailyRequests = () =>
            Effect.map(
              sql<{ readonly requests: string | number }>`
                SELECT coalesce(sum(requests), 0) AS requests FROM request_rollups_daily WHERE tenant_id = ${tenantId}`,
              (rows) => Number(rows[0]!.requests)
            )
          expect(yield* dailyRequests()).toBe(25)
          yield* sql`UPDATE request_rollups_daily SET requests = 0 WHERE tenant_id = ${tenantId}`
          expect(yield* dailyRequests()).toBe(0)

          const cli = (...args: Array<string>) =>
            Effect.promise(() =>
              run(
                join(repoRoot, "node_modules", ".bin", "node"),
                [join(repoRoot, "apps", "cli", "main.ts"), ...args],
                {
                  cwd: repoRoot,
                  env: { ...process.env, DATABASE_URL: databaseUrl, LOGS_DATABASE_URL: logsUrl }
                }
              ).then(
                ({ stdout }) => ({ code: 0, out: stdout }),
                (error: { code: number; stdout: string; stderr: string }) => ({
                  code: error.code,
                  out: error.stdout + error.stderr
                })
              )
            )
          const rebuilt = yield* cli("logs", "rebuild-rollups", slug)
          expect(rebuilt).toEqual({
            code: 0,
            out: `${slug}: rollups and top paths rebuilt from 25 stored request logs\n`
          })
          expect(yield* dailyRequests()).toBe(25)

          const unknown = yield* cli("logs", "rebuild-rollups", "no-such-tenant")
          expect(unknown.code).toBe(1)
          expect(unknown.out).toContain(`No tenant was ever created as "no-such-tenant"`)
        })
      )
    )
  }, 120_000)
})
