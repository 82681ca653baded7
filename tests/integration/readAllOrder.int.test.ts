import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import { EventStore, type RecordedEvent, startOfLog } from "../../application/ports/EventStore.ts"
import { databaseTargets, storageLayer } from "../support/storage.ts"

const metadata = { actor: { type: "system" as const, id: "test" } }

const drain = (store: EventStore["Service"], batchSize: number) =>
  Effect.gen(function* () {
    const seen: Array<RecordedEvent> = []
    let checkpoint = startOfLog
    while (true) {
      const batch = yield* store.readAll(checkpoint, batchSize)
      if (batch.events.length === 0) return seen
      seen.push(...batch.events)
      checkpoint = batch.checkpoint
    }
  })

for (const target of databaseTargets) {
  layer(storageLayer(target), { excludeTestServices: true, timeout: 60_000 })(
    `readAll ordering: ${target.name}`,
    (it) => {
      it.effect(
        "given transaction ids across a digit boundary (99, 100), then readAll orders them as numbers, one by one",
        () =>
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const store = yield* EventStore
            // Committed long ago, as far as the snapshot is concerned: both are below any running xid.
            yield* sql`INSERT INTO events (transaction_id, stream_id, stream_version, tenant_id, type, schema_version, data, metadata)
          VALUES ('100'::xid8, 'order-a', 1, 't', 'Noted', 1, '{"n":100}'::jsonb, '{"actor":{"type":"system","id":"x"}}'::jsonb),
                 ('99'::xid8, 'order-b', 1, 't', 'Noted', 1, '{"n":99}'::jsonb, '{"actor":{"type":"system","id":"x"}}'::jsonb)`
            const oneByOne = (yield* drain(store, 1)).filter((e) => e.streamId.startsWith("order-"))
            assert.deepStrictEqual(
              oneByOne.map((e) => e.transactionId),
              [99, 100]
            )
            const batched = (yield* drain(store, 500)).filter((e) => e.streamId.startsWith("order-"))
            assert.deepStrictEqual(
              batched.map((e) => e.data.n),
              [99, 100]
            )
          })
      )

      if (target.name === "postgres") {
        it.effect(
          "given an open transaction holding an earlier position, then readAll does not pass it until it commits",
          () =>
            Effect.gen(function* () {
              const sql = yield* SqlClient.SqlClient
              const store = yield* EventStore
              const before = yield* drain(store, 500)
              const checkpoint =
                before.length === 0
                  ? startOfLog
                  : { transactionId: before.at(-1)!.transactionId, position: before.at(-1)!.position }
              const appended = yield* Deferred.make<void>()
              const release = yield* Deferred.make<void>()
              const slow = yield* Effect.forkChild(
                sql.withTransaction(
                  Effect.gen(function* () {
                    yield* store.append({
                      streamId: "gap-slow",
                      tenantId: "t",
                      expectedVersion: 0,
                      events: [{ type: "Noted", schemaVersion: 1, data: { n: "slow" } }],
                      metadata
                    })
                    yield* Deferred.succeed(appended, undefined)
                    yield* Deferred.await(release)
                  })
                )
              )
              yield* Deferred.await(appended)
              yield* store.append({
                streamId: "gap-fast",
                tenantId: "t",
                expectedVersion: 0,
                events: [{ type: "Noted", schemaVersion: 1, data: { n: "fast" } }],
                metadata
              })
              // The fast event is committed and has the higher position, but the slow
              // transaction is still open: handing the fast one out now would let the
              // checkpoint move past the slow one for good.
              const whileOpen = yield* store.readAll(checkpoint, 500)
              assert.deepStrictEqual(
                whileOpen.events.filter((e) => e.streamId.startsWith("gap-")),
                []
              )
              yield* Deferred.succeed(release, undefined)
              yield* Fiber.join(slow)
              // The xmin bound is cluster-wide: other suites' transactions on the same server can
              // hold readers back a little longer, so wait (bounded) for the two to show up.
              let after: ReadonlyArray<RecordedEvent> = []
              for (let i = 0; i < 200 && after.length < 2; i++) {
                after = (yield* store.readAll(checkpoint, 500)).events.filter((e) =>
                  e.streamId.startsWith("gap-")
                )
                if (after.length < 2) yield* Effect.sleep(50)
              }
              assert.deepStrictEqual(
                after.map((e) => e.data.n),
                ["slow", "fast"]
              )
            })
        )
      }
    }
  )
}
