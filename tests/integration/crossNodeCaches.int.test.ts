import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as SqlSecretBox from "../../adapters/crypto/SqlSecretBox.ts"
import { AppendSignal } from "../../adapters/sql/AppendSignal.ts"
import type * as Database from "../../adapters/sql/Database.ts"
import * as SqlCustomDomainReadModel from "../../adapters/sql/SqlCustomDomainReadModel.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import * as SqlTenantReadModel from "../../adapters/sql/SqlTenantReadModel.ts"
import * as SqlWebhookStore from "../../adapters/sql/SqlWebhookStore.ts"
import { CustomDomainReadModel } from "../../application/ports/CustomDomainReadModel.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { SecretBox } from "../../application/ports/SecretBox.ts"
import { TenantReadModel } from "../../application/ports/TenantReadModel.ts"
import { WebhookStore } from "../../application/ports/WebhookStore.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { postgresUrl } from "../support/services.ts"

// Nodes: each its own pool, LISTEN, append signal and caches, on one PostgreSQL database (as
// separate processes would be). PGlite is one process, so there is nothing to tell across
// nodes there.
const masterKey = new Uint8Array(32).fill(5)
const metadata = { actor: { type: "system" as const, id: "cross-node-test" } }
const unique = () => Math.random().toString(36).slice(2, 10)

const nodeLayer = (config: Database.DatabaseConfig) =>
  Layer.mergeAll(
    SqlTenantReadModel.layer,
    SqlWebhookStore.layer,
    SqlCustomDomainReadModel.layer,
    SqlSecretBox.layer(masterKey)
  ).pipe(Layer.provideMerge(SqlStorage.layer(config)))
type Node = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof nodeLayer>>, unknown>

const named = (url: string, applicationName: string) => {
  const parsed = new URL(url)
  parsed.searchParams.set("application_name", applicationName)
  return parsed.toString()
}

const eventually = async (check: () => boolean | Promise<boolean>, millis: number) => {
  const until = Date.now() + millis
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return check()
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

if (postgresUrl !== undefined) {
  const url = postgresUrl
  describe("Caches across nodes (postgres)", () => {
    const scope = Scope.makeUnsafe()
    let database: string
    /** Appends, and changes rows behind the others' backs. */
    let nodeA: Node
    /** Default LISTEN restart, default TTL. */
    let nodeB: Node
    /** A short TTL, and a LISTEN that stays dead once dropped (its restart waits ten minutes). */
    let nodeC: Node
    const cTtlMillis = 400

    beforeAll(async () => {
      database = await Effect.runPromise(freshPostgresDatabase(url).pipe(Scope.provide(scope)))
      nodeA = ManagedRuntime.make(
        nodeLayer({ _tag: "postgres", url: named(database, "tenantry_node_a"), maxConnections: 4 })
      )
      nodeB = ManagedRuntime.make(
        nodeLayer({ _tag: "postgres", url: named(database, "tenantry_node_b"), maxConnections: 4 })
      )
      nodeC = ManagedRuntime.make(
        nodeLayer({
          _tag: "postgres",
          url: named(database, "tenantry_node_c"),
          maxConnections: 4,
          cacheTtlMillis: cTtlMillis,
          listenRestart: { firstMillis: 600_000, maxMillis: 600_000 }
        })
      )
      await Promise.all([nodeA, nodeB, nodeC].map((node) => node.runPromise(Effect.void)))
    })
    afterAll(async () => {
      await Promise.all([nodeA, nodeB, nodeC].map((node) => node?.dispose()))
      await Effect.runPromise(Scope.close(scope, Exit.void))
    })

    const sql = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
      nodeA.runPromise(Effect.flatMap(SqlClient.SqlClient, f))

    /** The backend of a node's LISTEN connection, if it has one. */
    const listenBackend = (applicationName: string) =>
      sql((sql) =>
        sql<{ pid: number }>`SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = ${applicationName}
            AND query LIKE 'LISTEN%'`.pipe(Effect.map((rows) => rows.map((row) => Number(row.pid))))
      )

    const terminateListen = async (applicationName: string) => {
      const [pid] = await listenBackend(applicationName)
      expect(pid, `${applicationName} has a LISTEN backend`).toBeDefined()
      await sql((sql) => sql`SELECT pg_terminate_backend(${pid!})`)
      return pid!
    }

    const append = (type: string, data: Record<string, unknown>, tenantId = `t-${unique()}`) =>
      nodeA.runPromise(
        Effect.flatMap(EventStore, (store) =>
          store.append({
            streamId: `cross-node-${unique()}`,
            tenantId,
            expectedVersion: 0,
            events: [{ type, schemaVersion: 1, data }],
            metadata
          })
        )
      )

    const watch = (node: Node, types: ReadonlyArray<string>) =>
      node.runPromise(Effect.map(AppendSignal, (signal) => signal.watch(new Set(types))))

    it("given node B's LISTEN connection terminated, when it has restarted, then every cache of B was emptied and an append on node A is heard on B again", async () => {
      const heard = await watch(nodeB, ["CrossNodeThing"])
      const unrelated = await watch(nodeB, ["NothingAppendsThis"])
      const before = unrelated()
      const dropped = await terminateListen("tenantry_node_b")

      const restarted = await eventually(async () => {
        const pids = await listenBackend("tenantry_node_b")
        return pids.length === 1 && pids[0] !== dropped
      }, 5_000)
      expect(restarted, "B listens again on a new connection").toBe(true)
      // The restart moved every generation: what was appended elsewhere meanwhile went unheard.
      expect(await eventually(() => unrelated() > before, 1_000)).toBe(true)

      const restartedAt = [heard(), unrelated()] as const
      await append("CrossNodeThing", { n: 1 })
      expect(await eventually(() => heard() > restartedAt[0], 2_000), "B heard A's append").toBe(true)
      await sleep(100)
      expect(unrelated(), "an unrelated cache of B was left alone").toBe(restartedAt[1])
    })

    it("given a tenant's key cached on node B, when node A deletes the tenant, then B's cached key is unusable within the NOTIFY's delay (long before the TTL)", async () => {
      const tenantId = `tnt_${unique()}`
      const sealed = await nodeB.runPromise(Effect.flatMap(SecretBox, (box) => box.seal(tenantId, "secret")))
      expect(await nodeB.runPromise(Effect.flatMap(SecretBox, (box) => box.open(tenantId, sealed)))).toBe(
        "secret"
      )
      await append("TenantDeleted", { slug: "gone", at: new Date().toISOString() }, tenantId)
      const openOnB = () =>
        nodeB.runPromise(
          Effect.flatMap(SecretBox, (box) => box.open(tenantId, sealed)).pipe(
            Effect.match({ onFailure: (error) => error._tag, onSuccess: () => "opened" })
          )
        )
      expect(await eventually(async () => (await openOnB()) === "SecretShredded", 1_000)).toBe(true)
    })

    it("given a tenant's domains summary cached on node B, when node A activates one of its domains, then B's summary says active within the NOTIFY's delay (long before the TTL)", async () => {
      const [tenantId, hostname] = [`tnt_${unique()}`, `cdn-${unique()}.example.com`]
      await sql(
        (sql) => sql`INSERT INTO custom_domains (hostname, tenant_id, domain_id, status, created_at, record)
          VALUES (${hostname}, ${tenantId}, ${`dom_${unique()}`}, 'pending', ${new Date().toISOString()},
            ${JSON.stringify({ activatedAt: null })}::jsonb)`
      )
      const summaryOnB = () =>
        nodeB.runPromise(
          Effect.flatMap(CustomDomainReadModel, (model) => model.summariesOf([tenantId])).pipe(
            Effect.map((summaries) => summaries.get(tenantId)?.map((domain) => domain.status) ?? [])
          )
        )
      expect(await summaryOnB()).toEqual(["pending"])
      const activatedAt = new Date().toISOString()
      // The row changes as the projection changes it, in the append's transaction (here: beside it).
      await sql(
        (sql) => sql`UPDATE custom_domains SET status = 'active',
          record = record || ${JSON.stringify({ activatedAt })}::jsonb WHERE hostname = ${hostname}`
      )
      expect(await summaryOnB(), "B answers from its cache until it hears of an append").toEqual(["pending"])
      await append("CustomDomainActivated", { hostname, at: activatedAt }, tenantId)
      expect(await eventually(async () => (await summaryOnB())[0] === "active", 1_000)).toBe(true)
    })

    describe("given node C's LISTEN dead (dropped, and not restarted within the test)", () => {
      let heardAnything: () => number
      let heardBefore: number
      beforeAll(async () => {
        heardAnything = await nodeC.runPromise(Effect.map(AppendSignal, (signal) => signal.generation))
        await terminateListen("tenantry_node_c")
        expect(
          await eventually(async () => (await listenBackend("tenantry_node_c")).length === 0, 2_000)
        ).toBe(true)
        heardBefore = heardAnything()
      })
      afterAll(async () => {
        // Nothing from other nodes reached C: what follows was the TTL's doing alone.
        expect(heardAnything()).toBe(heardBefore)
      })

      it("when node A removes a member whose access C has cached, then C no longer grants it within the TTL", async () => {
        const [tenantId, slug, userId] = [`tnt_${unique()}`, `s-${unique()}`, `user_${unique()}`]
        await sql(
          (sql) => sql`INSERT INTO tenants (tenant_id, slug, view, position)
            VALUES (${tenantId}, ${slug}, ${JSON.stringify({ slug })}::jsonb, 1)`
        )
        await sql(
          (sql) =>
            sql`INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (${tenantId}, ${userId}, 'viewer')`
        )
        const roleOnC = () =>
          nodeC.runPromise(
            Effect.flatMap(TenantReadModel, (model) => model.bySlugForUser(slug, userId)).pipe(
              Effect.map((found) => found?.role ?? null)
            )
          )
        expect(await roleOnC()).toBe("viewer")
        const removedAt = Date.now()
        await sql(
          (sql) => sql`DELETE FROM tenant_members WHERE tenant_id = ${tenantId} AND user_id = ${userId}`
        )
        await append("MemberRemovedElsewhere", { userId }, tenantId)
        expect(await eventually(async () => (await roleOnC()) === null, cTtlMillis + 1_000)).toBe(true)
        expect(Date.now() - removedAt).toBeLessThan(cTtlMillis + 1_000)
      })

      it("when node A deletes a webhook whose lookup C has cached, then C no longer finds it within the TTL", async () => {
        const [tenantId, slug, webhookId] = [`tnt_${unique()}`, `s-${unique()}`, `whk_${unique()}`]
        await sql(
          (sql) => sql`INSERT INTO tenants (tenant_id, slug, view, position)
            VALUES (${tenantId}, ${slug}, ${JSON.stringify({ slug })}::jsonb, 1)`
        )
        await sql(
          (sql) => sql`INSERT INTO tenant_webhooks
            (webhook_id, tenant_id, kind, provider, refresh_api, secret_hash, created_at, updated_at)
            VALUES (${webhookId}, ${tenantId}, 'cache-refresh', 'generic', true, ${"0".repeat(64)}, 'now', 'now')`
        )
        const foundOnC = () =>
          nodeC
            .runPromise(Effect.flatMap(WebhookStore, (store) => store.byId(webhookId)))
            .then((row) => row !== undefined)
        expect(await foundOnC()).toBe(true)
        await sql((sql) => sql`DELETE FROM tenant_webhooks WHERE webhook_id = ${webhookId}`)
        await append("CacheRefreshWebhookDeletedElsewhere", { webhookId }, tenantId)
        expect(await eventually(async () => !(await foundOnC()), cTtlMillis + 1_000)).toBe(true)
      })

      it("when node A deletes a tenant whose key C has cached, then C's cached key is unusable within the TTL", async () => {
        const tenantId = `tnt_${unique()}`
        const sealed = await nodeC.runPromise(
          Effect.flatMap(SecretBox, (box) => box.seal(tenantId, "secret"))
        )
        expect(await nodeC.runPromise(Effect.flatMap(SecretBox, (box) => box.open(tenantId, sealed)))).toBe(
          "secret"
        )
        await append("TenantDeleted", { slug: "gone", at: new Date().toISOString() }, tenantId)
        const openOnC = () =>
          nodeC.runPromise(
            Effect.flatMap(SecretBox, (box) => box.open(tenantId, sealed)).pipe(
              Effect.match({ onFailure: (error) => error._tag, onSuccess: () => "opened" })
            )
          )
        expect(await eventually(async () => (await openOnC()) === "SecretShredded", cTtlMillis + 1_000)).toBe(
          true
        )
      })
    })
  })
}
