import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Fiber, type Layer } from "effect"
import type { SqlClient } from "effect/sql"
import {
  type EventMetadata,
  EventStore,
  type NewEvent,
  type RecordedEvent,
  startOfLog
} from "../../application/ports/EventStore.ts"

const metadata: EventMetadata = { actor: { type: "system", id: "contract" }, requestId: "req_1" }
const event = (n: number, type = "Noted"): NewEvent => ({
  type,
  schemaVersion: 1,
  data: { n, pad: "x".repeat(64) }
})
const uniqueStream = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`

/** Reads the whole log from the start, the way a projector does. */
const readEverything = (store: EventStore["Service"]) =>
  Effect.gen(function* () {
    const seen: Array<RecordedEvent> = []
    let checkpoint = startOfLog
    while (true) {
      const batch = yield* store.readAll(checkpoint, 250)
      if (batch.events.length === 0) return seen
      seen.push(...batch.events)
      checkpoint = batch.checkpoint
    }
  })

/**
 * What every EventStore must do, whatever it stores in. Run once per implementation
 * (see EventStore.*.int.test.ts).
 */
export const eventStoreContract = <E>(
  name: string,
  storage: Layer.Layer<EventStore | SqlClient.SqlClient, E>
) =>
  layer(storage, { excludeTestServices: true, timeout: 120_000 })(`EventStore contract: ${name}`, (it) => {
    it.effect("given a new stream, when appending, then readStream returns the events at versions 1..n", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const stream = uniqueStream("s")
        const result = yield* store.append({
          streamId: stream,
          tenantId: "t1",
          expectedVersion: 0,
          events: [event(1), event(2), event(3)],
          metadata
        })
        assert.strictEqual(result.nextVersion, 3)
        const read = yield* store.readStream(stream)
        assert.deepStrictEqual(
          read.map((e) => [e.streamVersion, e.data.n, e.tenantId, e.type]),
          [
            [1, 1, "t1", "Noted"],
            [2, 2, "t1", "Noted"],
            [3, 3, "t1", "Noted"]
          ]
        )
        assert.deepStrictEqual(read[0]!.metadata, metadata)
        assert.isTrue(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position)
        assert.deepStrictEqual(
          (yield* store.readStream(stream, 3)).map((e) => e.streamVersion),
          [3]
        )
      })
    )

    it.effect(
      "given a stream at version 2, when appending with a stale or future expected version, then VersionConflict and nothing is written",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const stream = uniqueStream("c")
          yield* store.append({
            streamId: stream,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1), event(2)],
            metadata
          })
          for (const expectedVersion of [0, 1, 3, 7]) {
            const exit = yield* Effect.exit(
              store.append({
                streamId: stream,
                tenantId: "t1",
                expectedVersion,
                events: [event(9)],
                metadata
              })
            )
            assert.isTrue(Exit.isFailure(exit), `expected ${expectedVersion} must conflict`)
            assert.include(JSON.stringify(exit), "VersionConflict")
          }
          assert.strictEqual((yield* store.readStream(stream)).length, 2)
        })
    )

    it.effect(
      "given many concurrent writers on one stream, then every version has exactly one winner and nothing is lost",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const stream = uniqueStream("race")
          const writers = 16
          const perWriter = 5
          const writer = (w: number) =>
            Effect.gen(function* () {
              let written = 0
              let conflicts = 0
              while (written < perWriter) {
                const version = (yield* store.readStream(stream)).length
                const exit = yield* Effect.exit(
                  store.append({
                    streamId: stream,
                    tenantId: "t1",
                    expectedVersion: version,
                    events: [event(w * 100 + written)],
                    metadata
                  })
                )
                if (Exit.isSuccess(exit)) written++
                else conflicts++
              }
              return conflicts
            })
          yield* Effect.forEach(
            Array.from({ length: writers }, (_, w) => w),
            writer,
            { concurrency: "unbounded" }
          )
          const read = yield* store.readStream(stream)
          assert.strictEqual(read.length, writers * perWriter)
          assert.deepStrictEqual(
            read.map((e) => e.streamVersion),
            Array.from({ length: writers * perWriter }, (_, i) => i + 1)
          )
          const payloads = new Set(read.map((e) => e.data.n))
          assert.strictEqual(
            payloads.size,
            writers * perWriter,
            "every successful append is there exactly once"
          )
        })
    )

    it.effect(
      "given concurrent writers on many streams and a concurrent reader, then the reader sees every committed event exactly once, in stream order",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const prefix = uniqueStream("rd")
          const before = yield* readEverything(store)
          const seenBefore = new Set(before.map((e) => e.position))
          const streams = 24
          const perStream = 12
          let writing = true
          const writer = (s: number) =>
            Effect.gen(function* () {
              for (let v = 0; v < perStream; v++) {
                yield* store.append({
                  streamId: `${prefix}-${s}`,
                  tenantId: "t-read",
                  expectedVersion: v,
                  events: [event(v)],
                  metadata
                })
              }
            })
          const reader = Effect.gen(function* () {
            const seen: Array<RecordedEvent> = []
            let checkpoint = startOfLog
            while (true) {
              const batch = yield* store.readAll(checkpoint, 50)
              seen.push(...batch.events.filter((e) => !seenBefore.has(e.position)))
              checkpoint = batch.checkpoint
              if (batch.events.length === 0) {
                if (!writing) return seen
                yield* Effect.sleep(1)
              }
            }
          })
          const readerFiber = yield* Effect.forkChild(reader)
          yield* Effect.forEach(
            Array.from({ length: streams }, (_, s) => s),
            writer,
            { concurrency: "unbounded" }
          )
          writing = false
          const seen = (yield* Fiber.join(readerFiber)).filter((e) => e.streamId.startsWith(prefix))
          assert.strictEqual(seen.length, streams * perStream, "nothing skipped")
          assert.strictEqual(new Set(seen.map((e) => e.position)).size, seen.length, "nothing twice")
          const lastVersion = new Map<string, number>()
          for (const e of seen) {
            assert.strictEqual(e.streamVersion, (lastVersion.get(e.streamId) ?? 0) + 1, "stream order kept")
            lastVersion.set(e.streamId, e.streamVersion)
          }
        })
    )

    it.effect(
      "given a tenant's events, when paging its log newest first, then keyset pages cover it exactly",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenantId = uniqueStream("tenant")
          yield* store.append({
            streamId: uniqueStream("a"),
            tenantId,
            expectedVersion: 0,
            events: [event(1), event(2)],
            metadata
          })
          yield* store.append({
            streamId: uniqueStream("b"),
            tenantId,
            expectedVersion: 0,
            events: [event(3), event(4), event(5)],
            metadata
          })
          const first = yield* store.readTenantLog(tenantId, { limit: 2 })
          assert.deepStrictEqual(
            first.events.map((e) => e.data.n),
            [5, 4]
          )
          assert.isTrue(first.hasMore)
          const second = yield* store.readTenantLog(tenantId, {
            limit: 2,
            beforePosition: first.events.at(-1)!.position
          })
          assert.deepStrictEqual(
            second.events.map((e) => e.data.n),
            [3, 2]
          )
          const third = yield* store.readTenantLog(tenantId, {
            limit: 2,
            beforePosition: second.events.at(-1)!.position
          })
          assert.deepStrictEqual(
            third.events.map((e) => e.data.n),
            [1]
          )
          assert.isFalse(third.hasMore)
        })
    )

    it.effect("given snapshots, then the newest one wins and an older one never overwrites it", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const streamId = uniqueStream("snap")
        assert.isUndefined(yield* store.loadSnapshot(streamId))
        yield* store.saveSnapshot({ streamId, streamVersion: 10, stateVersion: 1, state: { total: 10 } })
        yield* store.saveSnapshot({ streamId, streamVersion: 5, stateVersion: 1, state: { total: 5 } })
        assert.deepStrictEqual(yield* store.loadSnapshot(streamId), {
          streamId,
          streamVersion: 10,
          stateVersion: 1,
          state: { total: 10 }
        })
      })
    )

    it.effect("awaitAppend returns once something is appended, and by its timeout otherwise", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const waiting = yield* Effect.forkChild(store.awaitAppend(30_000))
        yield* Effect.sleep(20)
        yield* store.append({
          streamId: uniqueStream("w"),
          tenantId: "t1",
          expectedVersion: 0,
          events: [event(1)],
          metadata
        })
        yield* Fiber.join(waiting)
        yield* store.awaitAppend(10)
        const head = yield* store.headPosition
        assert.isTrue(head > 0)
      })
    )
  })
