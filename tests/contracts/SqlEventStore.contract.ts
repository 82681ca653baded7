import { PgClient } from "@effect/sql-pg"
import { assert, layer } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Redacted, Result } from "effect"
import { SqlClient } from "effect/sql"
import { tenantCodec } from "../../application/events/catalog.ts"
import { EventStore, type NewEvent, startOfLog } from "../../application/ports/EventStore.ts"
import type { TenantId, UserId } from "../../domain/shared/ids.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { postgresUrl } from "../support/services.ts"
import { appended, event, metadata, uniqueStream } from "./EventStore.contract.ts"

/** A tenant's creation as stored: it goes through the `tenants` inline projection and its slug rule. */
const tenantCreated = (tenantId: string, slug: string): NewEvent =>
  tenantCodec.encode({
    _tag: "TenantCreated",
    tenantId: tenantId as TenantId,
    slug: slug as Slug,
    cms: { cms: "contentful", spaceId: "abc" },
    cacheTTL: 300,
    websiteDomain: null,
    siteProxy: false,
    ownerId: "user_contract" as UserId,
    at: "2026-11-24T12:00:00.000Z"
  })

/**
 * What the SQL event store does beyond the port: inline projections that refuse an append
 * (a taken slug), and on a real PostgreSQL server, the readAll horizon against
 * transactions of its own and of other databases. Run on PGlite and PostgreSQL by
 * EventStore.int.test.ts.
 */
export const sqlEventStoreContract = <E>(
  name: string,
  storage: Layer.Layer<EventStore | SqlClient.SqlClient, E>
) =>
  layer(storage, { excludeTestServices: true, timeout: 120_000 })(`SqlEventStore: ${name}`, (it) => {
    it.effect(
      "given an appendMany where an inline projection refuses one request (a taken slug), then it fails UniqueKeyTaken and nothing of any request is written",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const sql = yield* SqlClient.SqlClient
          const slug = `slug-${uniqueStream("k")}`
          const holder = uniqueStream("tnt-holder")
          yield* store.append({
            streamId: `tenant-${holder}`,
            tenantId: holder,
            expectedVersion: 0,
            events: [tenantCreated(holder, slug)],
            metadata
          })
          const innocent = uniqueStream("tnt-innocent")
          const offender = uniqueStream("tnt-offender")
          const plain = uniqueStream("plain")
          const headBefore = yield* store.headPosition
          const exit = yield* Effect.exit(
            store.appendMany([
              {
                streamId: `tenant-${innocent}`,
                tenantId: innocent,
                expectedVersion: 0,
                events: [tenantCreated(innocent, `${slug}-free`)],
                metadata
              },
              { streamId: plain, tenantId: "t1", expectedVersion: 0, events: [event(1)], metadata },
              {
                streamId: `tenant-${offender}`,
                tenantId: offender,
                expectedVersion: 0,
                events: [tenantCreated(offender, slug)],
                metadata
              }
            ])
          )
          assert.isTrue(Exit.isFailure(exit))
          assert.include(JSON.stringify(exit), "UniqueKeyTaken")
          for (const streamId of [`tenant-${innocent}`, plain, `tenant-${offender}`]) {
            assert.strictEqual((yield* store.readStream(streamId)).length, 0, `${streamId} has no events`)
          }
          const count = (rows: ReadonlyArray<{ n: unknown }>) => Number(rows[0]?.n ?? 0)
          assert.strictEqual(
            count(
              yield* sql<{ n: unknown }>`SELECT count(*) AS n FROM streams
                WHERE stream_id IN (${`tenant-${innocent}`}, ${plain}, ${`tenant-${offender}`})`
            ),
            0,
            "no stream row"
          )
          assert.strictEqual(
            count(
              yield* sql<{
                n: unknown
              }>`SELECT count(*) AS n FROM tenants WHERE tenant_id IN (${innocent}, ${offender})`
            ),
            0,
            "no read-model row"
          )
          // The same requests without the offender go through.
          const outcomes = yield* store.appendMany([
            {
              streamId: `tenant-${innocent}`,
              tenantId: innocent,
              expectedVersion: 0,
              events: [tenantCreated(innocent, `${slug}-free`)],
              metadata
            },
            { streamId: plain, tenantId: "t1", expectedVersion: 0, events: [event(1)], metadata }
          ])
          assert.isTrue(outcomes.every(Result.isSuccess))
          assert.isTrue(appended(outcomes[0]).events[0]!.position > headBefore)
        })
    )

    if (name === "postgres" && postgresUrl !== undefined) {
      const otherDatabase = postgresUrl
      /** A client on another database of the same server, for the scope. */
      const otherDatabaseClient = Effect.map(
        Layer.build(PgClient.layer({ url: Redacted.make(otherDatabase), maxConnections: 1 })),
        (services) => Context.get(services, SqlClient.SqlClient)
      )
      /** Where the log ends now, as a checkpoint. */
      const head = (store: EventStore["Service"]) =>
        Effect.map(store.readAll(startOfLog, 1_000_000), (batch) => batch.checkpoint)
      it.effect(
        "readAll inside a transaction that has written events does not read past them (they may yet roll back), even once later transactions have taken xids",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const sql = yield* SqlClient.SqlClient
            const before = yield* head(store)
            const elsewhere = yield* otherDatabaseClient
            const stream = uniqueStream("own-uncommitted")
            const seenInside = yield* sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`INSERT INTO events (stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
                VALUES (${stream}, 1, 't1', 'Noted', 1, '{}'::jsonb, '{}'::jsonb)`
                // A later xid, committed: the snapshot's xmax moves past this transaction's own.
                yield* elsewhere`SELECT pg_current_xact_id()::text AS xid`
                const batch = yield* store.readAll(before, 1_000_000)
                return batch.events.some((recorded) => recorded.streamId === stream)
              })
            )
            assert.isFalse(seenInside, "readAll returned its own transaction's uncommitted event")
          }).pipe(Effect.scoped)
      )

      it.effect(
        "given a transaction holding an xid in another database of the server, then readAll reads past it; one in this database still holds it back",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const sql = yield* SqlClient.SqlClient
            const before = yield* head(store)
            const seen = (stream: string) =>
              Effect.map(store.readAll(before, 1_000_000), (batch) =>
                batch.events.some((recorded) => recorded.streamId === stream)
              )
            const append = (stream: string) =>
              store.append({
                streamId: stream,
                tenantId: "t1",
                expectedVersion: 0,
                events: [event(1)],
                metadata
              })
            /** Opens a transaction on `client` that takes an xid and stays open until `release`. */
            const holdXid = (client: SqlClient.SqlClient) =>
              Effect.gen(function* () {
                const holding = yield* Deferred.make<void>()
                const release = yield* Deferred.make<void>()
                const fiber = yield* Effect.forkChild(
                  client.withTransaction(
                    Effect.gen(function* () {
                      // As text: a bare xid8 column was never answered by the driver (the test hung).
                      yield* client`SELECT pg_current_xact_id()::text AS xid`
                      yield* Deferred.succeed(holding, undefined)
                      yield* Deferred.await(release)
                    })
                  )
                )
                yield* Deferred.await(holding)
                return Effect.andThen(Deferred.succeed(release, undefined), Fiber.join(fiber))
              })

            const elsewhere = yield* holdXid(yield* otherDatabaseClient)
            const past = uniqueStream("past-other-db")
            yield* append(past)
            const seenPastOther = yield* seen(past)
            yield* elsewhere

            const here = yield* holdXid(sql)
            const held = uniqueStream("held-here")
            yield* append(held)
            const seenPastOwn = yield* seen(held)
            yield* here
            const seenAfterOwnEnds = yield* seen(held)

            assert.isTrue(seenPastOther, "a transaction of another database held readAll back")
            assert.isFalse(seenPastOwn, "readAll read past a running transaction of its own database")
            assert.isTrue(seenAfterOwnEnds)
          }).pipe(Effect.scoped)
      )
    }
  })
