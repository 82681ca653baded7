import { describe, expect, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { cacheVersionsAggregate, tenantAggregate } from "../../application/aggregates.ts"
import { decodeEvent, tenantCodec } from "../../application/events/catalog.ts"
import { eventCodec } from "../../application/events/codec.ts"
import { loadAggregate } from "../../application/handleCommand.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { readTenant } from "../../application/runCommand.ts"
import { cacheVersionsStream } from "../../domain/cacheVersions/index.ts"
import { type Slug, tenantEvents, tenantStream } from "../../domain/tenant/index.ts"
import { createTenantArb, instantAt } from "../support/arbitraries.ts"
import { databaseTargets } from "../support/databases.ts"
import {
  handleCommandOn,
  handlerLayer,
  handleTenantCommand,
  testMetadata,
  uniqueTag,
  uniqueTenantId
} from "../support/tenantHarness.ts"

/** A `TenantCreated` as seed 001 stored it: schema version 1, before the site proxy existed. */
const v1Created = (tenantId: string, slug: string) => ({
  tenantId,
  slug,
  cms: { cms: "prismic", repository: "acme" },
  cacheTTL: 300,
  websiteDomain: "www.acme.com",
  ownerId: "user_1",
  at: instantAt(1)
})

const insertRaw = (
  sql: SqlClient.SqlClient,
  tenantId: string,
  type: string,
  schemaVersion: number,
  data: object
) =>
  Effect.gen(function* () {
    const streamId = tenantStream(tenantId)
    yield* sql`INSERT INTO streams (stream_id, tenant_id, version) VALUES (${streamId}, ${tenantId}, 1)`
    yield* sql`INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
      VALUES (${streamId}, 1, ${tenantId}, ${type}, ${schemaVersion}, ${JSON.stringify(data)}::jsonb,
              ${JSON.stringify(testMetadata)}::jsonb)`
    return streamId
  })

const defectMessage = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && Cause.hasDies(exit.cause) ? String(Cause.squash(exit.cause)) : "no defect"

describe("Upcasters (pure)", () => {
  it("given any v2 TenantCreated stored without siteProxy as v1, when decoded strictly, then it is the same event with siteProxy false", () => {
    fc.assert(
      fc.property(createTenantArb(), (create) => {
        const { _tag, siteProxy: _dropped, ...v1 } = create
        const stored = {
          type: "TenantCreated",
          schemaVersion: 1,
          tenantId: v1.tenantId,
          data: JSON.parse(JSON.stringify({ ...v1, at: instantAt(1) }))
        }
        const decoded = tenantCodec.decodeStrict(stored)
        expect(decoded).toEqual({ ...v1, _tag: "TenantCreated", siteProxy: false, at: instantAt(1) })
        expect(tenantCodec.decode(stored)).toEqual(decoded)
        expect(decodeEvent(stored)).toEqual(decoded)
        expect(tenantCodec.encode(decoded).schemaVersion).toBe(tenantEvents.schemaVersions.TenantCreated)
      })
    )
  })

  it("given a gap in the chain, when upcasting, then it throws naming the missing step", () => {
    const stored = (type: string, schemaVersion: number) => ({
      type,
      schemaVersion,
      tenantId: "tnt_gap0000000",
      data: {}
    })
    // A release whose TenantCreated is at v3 but knows only the v1 → v2 step.
    const ahead = eventCodec({
      ...tenantEvents,
      schemaVersions: { ...tenantEvents.schemaVersions, TenantCreated: 3 }
    })
    expect(() => ahead.decode(stored("TenantCreated", 1))).toThrow("No upcaster for TenantCreated v2")
    expect(() => tenantCodec.decode(stored("TenantCreated", 0))).toThrow("No upcaster for TenantCreated v0")
    expect(() => tenantCodec.decode(stored("TenantDeleted", 0))).toThrow("No upcaster for TenantDeleted v0")
    expect(() => tenantCodec.decode(stored("TenantRenamed", 1))).toThrow("Unknown event type TenantRenamed")
    expect(() => decodeEvent(stored("TenantRenamed", 1))).toThrow("Unknown event type TenantRenamed")
    // A tenant codec never reads another aggregate's events.
    expect(() => tenantCodec.decode(stored("CacheVersionsBumped", 1))).toThrow(
      "Unknown event type CacheVersionsBumped"
    )
  })

  it("given data from a newer release (after a rollback, say), when decoding, then it throws rather than misread it", () => {
    expect(() =>
      tenantCodec.decode({ type: "TenantDeleted", schemaVersion: 2, tenantId: "tnt_new0000000", data: {} })
    ).toThrow("TenantDeleted v2 is newer than this release understands (v1)")
  })
})

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 120_000 })(
    `Upcasting stored events: ${target.name}`,
    (it) => {
      it.effect(
        "given a raw v1 TenantCreated row without siteProxy, when loading the tenant, then siteProxy is false and it accepts commands",
        () =>
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const store = yield* EventStore
            const tenantId = uniqueTenantId()
            const streamId = yield* insertRaw(
              sql,
              tenantId,
              "TenantCreated",
              1,
              v1Created(tenantId, `old-${uniqueTag()}`)
            )

            const [stored] = yield* store.readStream(streamId)
            expect(stored?.schemaVersion).toBe(1)
            expect(stored?.data).not.toHaveProperty("siteProxy")
            expect(tenantCodec.decodeStrict(stored!)).toMatchObject({
              _tag: "TenantCreated",
              siteProxy: false
            })

            const loaded = yield* loadAggregate(tenantAggregate, streamId)
            expect(loaded.version).toBe(1)
            expect(loaded.state).toMatchObject({
              status: "active",
              tenantId,
              siteProxy: false,
              cacheTTL: 300
            })

            // The upcast state is a real one: turning the proxy on is a change, recorded at the current version.
            const handled = yield* handleTenantCommand(tenantId, {
              _tag: "UpdateTenantConfig",
              changes: { siteProxy: true },
              at: instantAt(2)
            })
            expect(handled.events.map((e) => [e.type, e.schemaVersion, e.streamVersion])).toEqual([
              ["TenantConfigUpdated", 1, 2]
            ])
            expect(handled.state).toMatchObject({ status: "active", siteProxy: true })
          })
      )

      it.effect(
        "given a v1 TenantCreated appended through the event store, then the tenants read model upcasts it too",
        () =>
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const store = yield* EventStore
            const tenantId = uniqueTenantId()
            const slug = `old-${uniqueTag()}` as Slug
            yield* store.append({
              streamId: tenantStream(tenantId),
              tenantId,
              expectedVersion: 0,
              events: [{ type: "TenantCreated", schemaVersion: 1, data: v1Created(tenantId, slug) }],
              metadata: testMetadata
            })
            const rows = yield* sql<{
              slug: string
              view: unknown
            }>`SELECT slug, view FROM tenants WHERE tenant_id = ${tenantId}`
            expect(rows).toHaveLength(1)
            expect(rows[0]!.slug).toBe(slug)
            const view = (
              typeof rows[0]!.view === "string" ? JSON.parse(rows[0]!.view) : rows[0]!.view
            ) as object
            expect(view).toMatchObject({ siteProxy: false, cacheTTL: 300 })
            const loaded = yield* loadAggregate(tenantAggregate, tenantStream(tenantId))
            expect(loaded.state).toMatchObject({ status: "active", slug, siteProxy: false })
          })
      )

      it.effect(
        "given a stored event at a version with no upcaster, when loading the tenant, then loading dies naming the gap",
        () =>
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const tenantId = uniqueTenantId()
            const streamId = yield* insertRaw(
              sql,
              tenantId,
              "TenantCreated",
              0,
              v1Created(tenantId, `gap-${uniqueTag()}`)
            )
            const exit = yield* Effect.exit(loadAggregate(tenantAggregate, streamId))
            expect(defectMessage(exit)).toContain("No upcaster for TenantCreated v0")

            // And a command against it fails loudly too, leaving the stream as it was.
            const command = yield* Effect.exit(
              handleTenantCommand(tenantId, {
                _tag: "UpdateTenantConfig",
                changes: { cacheTTL: 1 },
                at: instantAt(2)
              })
            )
            expect(defectMessage(command)).toContain("No upcaster for TenantCreated v0")
            expect(yield* (yield* EventStore).readStream(streamId)).toHaveLength(1)
            // So does a command on another stream that reads the tenant (a bump), writing nothing.
            const bump = yield* Effect.exit(
              handleCommandOn(
                cacheVersionsAggregate,
                { streamId: cacheVersionsStream(tenantId), tenantId },
                (_state, context) =>
                  Effect.map(readTenant(context, tenantId), (tenant) => ({
                    _tag: "BumpCacheVersions" as const,
                    target: "all" as const,
                    tenantLive: tenant.status === "active",
                    at: instantAt(2)
                  }))
              )
            )
            expect(defectMessage(bump)).toContain("No upcaster for TenantCreated v0")
            expect(yield* (yield* EventStore).readStream(cacheVersionsStream(tenantId))).toEqual([])
          })
      )
    }
  )
}
