import { assert, layer } from "@effect/vitest"
import { Effect, Exit, Fiber, type Layer, Result } from "effect"
import {
  type AppendOutcome,
  type EventMetadata,
  EventStore,
  type NewEvent,
  type RecordedEvent,
  startOfLog
} from "../../application/ports/EventStore.ts"

export const metadata: EventMetadata = { actor: { type: "system", id: "contract" }, requestId: "req_1" }
export const event = (n: number, type = "Noted"): NewEvent => ({
  type,
  schemaVersion: 1,
  data: { n, pad: "x".repeat(64) }
})
export const uniqueStream = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`

export const appended = (outcome: AppendOutcome | undefined) => {
  if (outcome === undefined || Result.isFailure(outcome))
    return assert.fail(`expected appended, got ${String(outcome)}`)
  return outcome.success
}

/**
 * When a reader that started during the writes may stop: it has seen all `expected` events
 * of `prefix`, or has waited long enough for them. The readAll bound (the oldest running
 * transaction of this database that the server can place) can be held back a while after
 * the writers are done.
 */
let writersDoneAt = Number.POSITIVE_INFINITY
const settled = (seen: ReadonlyArray<RecordedEvent>, prefix: string, expected: number) =>
  seen.filter((e) => e.streamId.startsWith(prefix)).length >= expected || Date.now() > writersDoneAt + 20_000

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
 * What every EventStore must do, whatever it stores in: the port's promises. Run once per
 * implementation (EventStore.int.test.ts on PGlite and PostgreSQL, InMemoryEventStore.test.ts);
 * what only the SQL store does (inline projections, the readAll horizon on a real server) is
 * SqlEventStore.contract.ts.
 */
export const eventStoreContract = <E>(name: string, storage: Layer.Layer<EventStore, E>) =>
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
                if (!writing && settled(seen, prefix, streams * perStream)) return seen
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
          writersDoneAt = Date.now()
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
      "given new and existing streams, when appending to all of them in one appendMany, then each is appended at its own versions, in one transaction",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const existing = uniqueStream("m-old")
          const fresh = uniqueStream("m-new")
          const other = uniqueStream("m-other")
          yield* store.append({
            streamId: existing,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1), event(2)],
            metadata
          })
          const ownMetadata: EventMetadata = { actor: { type: "user", id: "u" }, requestId: "req_own" }
          const outcomes = yield* store.appendMany([
            { streamId: fresh, tenantId: "t2", expectedVersion: 0, events: [event(10), event(11)], metadata },
            {
              streamId: existing,
              tenantId: "t1",
              expectedVersion: 2,
              events: [event(3), { ...event(4), metadata: ownMetadata }],
              metadata
            },
            { streamId: other, tenantId: "t3", expectedVersion: 0, events: [event(20)], metadata }
          ])
          assert.strictEqual(outcomes.length, 3)
          const [a, b, c] = outcomes.map(appended)
          assert.strictEqual(a!.nextVersion, 2)
          assert.strictEqual(b!.nextVersion, 4)
          assert.strictEqual(c!.nextVersion, 1)
          assert.deepStrictEqual(
            b!.events.map((e) => [e.streamId, e.streamVersion, e.data.n, e.metadata.requestId]),
            [
              [existing, 3, 3, "req_1"],
              [existing, 4, 4, "req_own"]
            ]
          )
          const all = [...a!.events, ...b!.events, ...c!.events]
          assert.strictEqual(new Set(all.map((e) => e.transactionId)).size, 1, "one transaction")
          assert.deepStrictEqual(
            (yield* store.readStream(existing)).map((e) => [e.streamVersion, e.data.n, e.metadata.requestId]),
            [
              [1, 1, "req_1"],
              [2, 2, "req_1"],
              [3, 3, "req_1"],
              [4, 4, "req_own"]
            ]
          )
          const read = yield* store.readStream(fresh)
          assert.deepStrictEqual(
            read.map((e) => [e.streamVersion, e.data.n, e.tenantId]),
            [
              [1, 10, "t2"],
              [2, 11, "t2"]
            ]
          )
          assert.deepStrictEqual(
            read.map((e) => e.position),
            a!.events.map((e) => e.position)
          )
          assert.deepStrictEqual(
            (yield* store.readStream(other)).map((e) => e.tenantId),
            ["t3"]
          )
        })
    )

    it.effect(
      "given one stale expected version in an appendMany, then only that request gets VersionConflict and the others are appended",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const [s1, s2, s3, s4] = [
            uniqueStream("st1"),
            uniqueStream("st2"),
            uniqueStream("st3"),
            uniqueStream("st4")
          ]
          yield* store.append({
            streamId: s1,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1)],
            metadata
          })
          yield* store.append({
            streamId: s2,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1)],
            metadata
          })
          const outcomes = yield* store.appendMany([
            { streamId: s1, tenantId: "t1", expectedVersion: 1, events: [event(2)], metadata },
            { streamId: s2, tenantId: "t1", expectedVersion: 0, events: [event(2)], metadata }, // stale
            { streamId: s3, tenantId: "t1", expectedVersion: 0, events: [event(2)], metadata },
            { streamId: s4, tenantId: "t1", expectedVersion: 3, events: [event(2)], metadata } // no such stream yet
          ])
          assert.strictEqual(appended(outcomes[0]).nextVersion, 2)
          assert.strictEqual(appended(outcomes[2]).nextVersion, 1)
          for (const [i, streamId, expectedVersion] of [
            [1, s2, 0],
            [3, s4, 3]
          ] as const) {
            const outcome = outcomes[i]!
            assert.isTrue(Result.isFailure(outcome), `${streamId} must conflict`)
            if (Result.isFailure(outcome)) {
              assert.strictEqual(outcome.failure._tag, "VersionConflict")
              assert.strictEqual(outcome.failure.streamId, streamId)
              assert.strictEqual(outcome.failure.expectedVersion, expectedVersion)
            }
          }
          assert.strictEqual((yield* store.readStream(s1)).length, 2)
          assert.strictEqual((yield* store.readStream(s2)).length, 1, "the stale one wrote nothing")
          assert.strictEqual((yield* store.readStream(s3)).length, 1)
          assert.strictEqual((yield* store.readStream(s4)).length, 0)
          // And `append` keeps refusing a stream that is not where the request expects it.
          const exit = yield* Effect.exit(
            store.append({
              streamId: uniqueStream("st5"),
              tenantId: "t1",
              expectedVersion: 2,
              events: [event(1)],
              metadata
            })
          )
          assert.include(JSON.stringify(exit), "VersionConflict")
        })
    )

    it.effect(
      "given a stream, then readLastEvent answers its newest event, and undefined for a stream with none",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const stream = uniqueStream("last")
          assert.isUndefined(yield* store.readLastEvent(stream))
          yield* store.append({
            streamId: stream,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1), event(2)],
            metadata
          })
          yield* store.append({
            streamId: stream,
            tenantId: "t1",
            expectedVersion: 2,
            events: [event(3)],
            metadata
          })
          const last = yield* store.readLastEvent(stream)
          assert.deepStrictEqual([last?.streamVersion, last?.data.n], [3, 3])
        })
    )

    it.effect(
      "given a decision that read another stream, when that stream is still at the version read, then the append goes through; when it moved (or was born), VersionConflict and nothing is written",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const guarded = uniqueStream("guarded")
          const other = uniqueStream("other")
          const absent = uniqueStream("absent")
          yield* store.append({
            streamId: other,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1)],
            metadata
          })
          const ok = yield* store.append({
            streamId: guarded,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(10)],
            metadata,
            guards: [
              { streamId: other, version: 1 },
              { streamId: absent, version: 0 }
            ]
          })
          assert.strictEqual(ok.nextVersion, 1)
          yield* store.append({
            streamId: other,
            tenantId: "t1",
            expectedVersion: 1,
            events: [event(2)],
            metadata
          })
          const stale = yield* Effect.flip(
            store.append({
              streamId: guarded,
              tenantId: "t1",
              expectedVersion: 1,
              events: [event(11)],
              metadata,
              guards: [{ streamId: other, version: 1 }]
            })
          )
          assert.strictEqual(stale._tag, "VersionConflict")
          yield* store.append({
            streamId: absent,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1)],
            metadata
          })
          const born = yield* Effect.flip(
            store.append({
              streamId: guarded,
              tenantId: "t1",
              expectedVersion: 1,
              events: [event(12)],
              metadata,
              guards: [{ streamId: absent, version: 0 }]
            })
          )
          assert.strictEqual(born._tag, "VersionConflict")
          assert.deepStrictEqual(
            (yield* store.readStream(guarded)).map((e) => e.data.n),
            [10]
          )
          const fresh = yield* store.append({
            streamId: guarded,
            tenantId: "t1",
            expectedVersion: 1,
            events: [event(13)],
            metadata,
            guards: [
              { streamId: other, version: 2 },
              { streamId: absent, version: 1 }
            ]
          })
          assert.strictEqual(fresh.nextVersion, 2)
        })
    )

    it.effect(
      "given an appendMany whose one request's guard has moved, then only that request gets VersionConflict and the others are appended",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const other = uniqueStream("other")
          yield* store.append({
            streamId: other,
            tenantId: "t1",
            expectedVersion: 0,
            events: [event(1), event(2)],
            metadata
          })
          const [good, stale] = [uniqueStream("good"), uniqueStream("stale")]
          const outcomes = yield* store.appendMany([
            {
              streamId: good,
              tenantId: "t1",
              expectedVersion: 0,
              events: [event(1)],
              metadata,
              guards: [{ streamId: other, version: 2 }]
            },
            {
              streamId: stale,
              tenantId: "t1",
              expectedVersion: 0,
              events: [event(1)],
              metadata,
              guards: [{ streamId: other, version: 1 }]
            }
          ])
          assert.strictEqual(appended(outcomes[0]).nextVersion, 1)
          assert.isTrue(Result.isFailure(outcomes[1]!))
          assert.deepStrictEqual(yield* store.readStream(stale), [])
        })
    )

    it.effect("given the same stream twice in one appendMany, then it dies and writes nothing", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const stream = uniqueStream("twice")
        const exit = yield* Effect.exit(
          store.appendMany([
            { streamId: stream, tenantId: "t1", expectedVersion: 0, events: [event(1)], metadata },
            { streamId: stream, tenantId: "t1", expectedVersion: 1, events: [event(2)], metadata }
          ])
        )
        assert.isTrue(Exit.isFailure(exit) && Exit.hasDies(exit))
        assert.strictEqual((yield* store.readStream(stream)).length, 0)
      })
    )

    it.effect(
      "given concurrent appendMany and append writers on many streams and a concurrent reader, then the reader sees every event once, in stream order, each appendMany whole",
      () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const prefix = uniqueStream("mx")
          const before = yield* readEverything(store)
          const seenBefore = new Set(before.map((e) => e.position))
          const groups = 6
          const perGroup = 4
          const rounds = 10
          const singles = 6
          let writing = true
          // Each group writes its streams together, round after round.
          const groupWriter = (g: number) =>
            Effect.gen(function* () {
              for (let v = 0; v < rounds; v++) {
                const outcomes = yield* store.appendMany(
                  Array.from({ length: perGroup }, (_, k) => ({
                    streamId: `${prefix}-g${g}-${k}`,
                    tenantId: "t-read",
                    expectedVersion: v * 2,
                    events: [event(v * 10 + 1), event(v * 10 + 2)],
                    metadata
                  }))
                )
                assert.isTrue(outcomes.every(Result.isSuccess))
              }
            })
          const singleWriter = (s: number) =>
            Effect.gen(function* () {
              for (let v = 0; v < rounds * 2; v++) {
                yield* store.append({
                  streamId: `${prefix}-s${s}`,
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
              const batch = yield* store.readAll(checkpoint, 7)
              seen.push(...batch.events.filter((e) => !seenBefore.has(e.position)))
              checkpoint = batch.checkpoint
              if (batch.events.length === 0) {
                if (!writing && settled(seen, prefix, groups * perGroup * rounds * 2 + singles * rounds * 2))
                  return seen
                yield* Effect.sleep(1)
              }
            }
          })
          const readerFiber = yield* Effect.forkChild(reader)
          yield* Effect.all(
            [
              Effect.forEach(
                Array.from({ length: groups }, (_, g) => g),
                groupWriter,
                { concurrency: "unbounded" }
              ),
              Effect.forEach(
                Array.from({ length: singles }, (_, s) => s),
                singleWriter,
                { concurrency: "unbounded" }
              )
            ],
            { concurrency: "unbounded" }
          )
          writing = false
          writersDoneAt = Date.now()
          const seen = (yield* Fiber.join(readerFiber)).filter((e) => e.streamId.startsWith(prefix))
          assert.strictEqual(
            seen.length,
            groups * perGroup * rounds * 2 + singles * rounds * 2,
            "nothing skipped"
          )
          assert.strictEqual(new Set(seen.map((e) => e.position)).size, seen.length, "nothing twice")
          const lastVersion = new Map<string, number>()
          for (const e of seen) {
            assert.strictEqual(e.streamVersion, (lastVersion.get(e.streamId) ?? 0) + 1, "stream order kept")
            lastVersion.set(e.streamId, e.streamVersion)
          }
          // One appendMany is one transaction, and a reader gets its events in one run.
          const byTransaction = Map.groupBy(
            // By prefix: a random prefix can itself start with "g" (as in "mx-g…").
            seen.filter((e) => e.streamId.startsWith(`${prefix}-g`)),
            (e) => e.transactionId
          )
          assert.strictEqual(byTransaction.size, groups * rounds)
          for (const events of byTransaction.values()) {
            assert.strictEqual(events.length, perGroup * 2)
            const indexes = events.map((e) => seen.indexOf(e))
            assert.strictEqual(indexes.at(-1)! - indexes[0]!, events.length - 1, "contiguous in the read")
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

    it.effect("awaitAppend returns true once something is appended, and false by its timeout otherwise", () =>
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
        assert.isTrue(yield* Fiber.join(waiting))
        assert.isFalse(yield* store.awaitAppend(10))
        const head = yield* store.headPosition
        assert.isTrue(head > 0)
      })
    )
  })
