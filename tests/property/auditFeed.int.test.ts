import { layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import fc from "fast-check"
import { expect } from "vitest"
import { followLog, resumeFrom } from "../../application/audit/auditFeed.ts"
import { EventStore, type RecordedEvent } from "../../application/ports/EventStore.ts"
import { databaseTargets, storageLayer } from "../support/storage.ts"

const metadata = { actor: { type: "system" as const, id: "feed-property" } }

/**
 * One run: writers on several tenants append concurrently (each a few appends of 1-3 events,
 * some over two streams of their tenant in one call, with random pauses), while consumers
 * follow the log, each over one tenant or every tenant, disconnecting after a random number
 * of batches and resuming from the last id they received, as a client with Last-Event-ID does.
 */
const scenario = fc.record({
  tenants: fc.integer({ min: 2, max: 4 }),
  writes: fc.array(
    fc.record({
      tenant: fc.nat(),
      events: fc.integer({ min: 1, max: 3 }),
      twoStreams: fc.boolean(),
      pauseMillis: fc.integer({ min: 0, max: 4 })
    }),
    { minLength: 4, maxLength: 24 }
  ),
  consumers: fc.array(
    fc.record({
      scope: fc.option(fc.nat(), { nil: undefined }),
      batchSize: fc.integer({ min: 1, max: 7 }),
      disconnectAfter: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 })
    }),
    { minLength: 2, maxLength: 4 }
  )
})

let runs = 0

for (const target of databaseTargets) {
  layer(storageLayer(target), { excludeTestServices: true, timeout: 240_000 })(
    `Audit feed property (${target.name})`,
    (it) => {
      it.effect(
        "given arbitrary interleavings of concurrent writers on many tenants and consumers that disconnect and resume at random checkpoints, then every consumer receives every event of its scope exactly once, in the same order as every other consumer",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const property = fc.asyncProperty(scenario, (s) =>
              Effect.runPromise(
                Effect.gen(function* () {
                  const run = runs++
                  const tenants = Array.from(
                    { length: s.tenants },
                    (_, i) => `feedprop-${run}-${Date.now()}-${i}`
                  )
                  const start = yield* store.headPosition
                  const startCheckpoint =
                    start === 0 ? yield* resumeFrom(0, "after") : yield* resumeFrom(start, "after")
                  const versions = new Map<string, number>()
                  const writer = (write: (typeof s.writes)[number]) =>
                    Effect.gen(function* () {
                      const tenantId = tenants[write.tenant % tenants.length]!
                      yield* Effect.sleep(write.pauseMillis)
                      const streams = write.twoStreams
                        ? [`a-${tenantId}`, `b-${tenantId}`]
                        : [`a-${tenantId}`]
                      for (;;) {
                        const requests = streams.map((streamId) => ({
                          streamId,
                          tenantId,
                          expectedVersion: versions.get(streamId) ?? 0,
                          events: Array.from({ length: write.events }, (_, n) => ({
                            type: "Noted",
                            schemaVersion: 1,
                            data: { n }
                          })),
                          metadata
                        }))
                        const outcomes = yield* store.appendMany(requests)
                        // A stream another writer moved first: that request wrote nothing; try it again.
                        if (outcomes.every((outcome) => outcome._tag === "Success")) {
                          for (const request of requests) {
                            versions.set(request.streamId, request.expectedVersion + write.events)
                          }
                          return
                        }
                        for (const [i, outcome] of outcomes.entries()) {
                          if (outcome._tag === "Success") {
                            versions.set(requests[i]!.streamId, requests[i]!.expectedVersion + write.events)
                            streams.splice(streams.indexOf(requests[i]!.streamId), 1)
                          } else {
                            const last = yield* store.readLastEvent(requests[i]!.streamId)
                            versions.set(requests[i]!.streamId, last?.streamVersion ?? 0)
                          }
                        }
                        if (streams.length === 0) return
                      }
                    })
                  const expectedCount = (scope: string | undefined) =>
                    s.writes
                      .filter(
                        (write) => scope === undefined || tenants[write.tenant % tenants.length] === scope
                      )
                      .reduce((sum, write) => sum + write.events * (write.twoStreams ? 2 : 1), 0)
                  const consumer = (spec: (typeof s.consumers)[number]) =>
                    Effect.gen(function* () {
                      const scope =
                        spec.scope === undefined ? undefined : tenants[spec.scope % tenants.length]
                      const scopeIds = scope === undefined ? tenants : [scope]
                      const want = expectedCount(scope)
                      const received: Array<RecordedEvent> = []
                      let connection = 0
                      while (received.length < want) {
                        const last = received.at(-1)?.position
                        const from = last === undefined ? startCheckpoint : yield* resumeFrom(last, "after")
                        const take = spec.disconnectAfter[connection++ % spec.disconnectAfter.length]!
                        const feed = yield* followLog(from, Effect.succeed(scopeIds), {
                          batchSize: spec.batchSize,
                          pollMillis: 20
                        })
                        // This connection ends after `take` batches, or once the scope's every event is in.
                        yield* feed.pipe(
                          Stream.take(take),
                          Stream.tap((batch) => Effect.sync(() => received.push(...batch))),
                          Stream.takeUntil(() => received.length >= want),
                          Stream.runDrain
                        )
                      }
                      return { scope, received }
                    }).pipe(Effect.timeout(60_000))
                  const [, consumed] = yield* Effect.all(
                    [
                      Effect.forEach(s.writes, writer, { concurrency: "unbounded", discard: true }),
                      Effect.forEach(s.consumers, consumer, { concurrency: "unbounded" })
                    ],
                    { concurrency: "unbounded" }
                  )
                  const everything = consumed.find((c) => c.scope === undefined)?.received
                  for (const { scope, received } of consumed) {
                    const ids = received.map((event) => event.position)
                    expect(new Set(ids).size, "exactly once").toBe(ids.length)
                    expect(ids.length).toBe(expectedCount(scope))
                    expect(received.every((event) => scope === undefined || event.tenantId === scope)).toBe(
                      true
                    )
                    // The same order for every consumer: each one's is the whole log's order, filtered.
                    if (everything !== undefined) {
                      expect(ids).toEqual(
                        everything
                          .filter((event) => scope === undefined || event.tenantId === scope)
                          .map((event) => event.position)
                      )
                    }
                  }
                  // And that order is the log's commit-safe order.
                  for (const { received } of consumed) {
                    for (let i = 1; i < received.length; i++) {
                      const [a, b] = [received[i - 1]!, received[i]!]
                      expect(
                        a.transactionId < b.transactionId ||
                          (a.transactionId === b.transactionId && a.position < b.position)
                      ).toBe(true)
                    }
                  }
                }).pipe(Effect.provideService(EventStore, store))
              ).then(() => true)
            )
            yield* Effect.promise(() => fc.assert(property, { numRuns: 10 }))
          }),
        240_000
      )
    }
  )
}
