import { Deferred, Effect, Layer, Option, Result } from "effect"
import { chainBody, chainHash, zeroHash } from "../../application/audit/chain.ts"
import {
  type AppendOutcome,
  type AppendRequest,
  type Checkpoint,
  EventStore,
  type RecordedEvent,
  type Snapshot,
  VersionConflict
} from "../../application/ports/EventStore.ts"

const after = (event: RecordedEvent, checkpoint: Checkpoint) =>
  event.transactionId > checkpoint.transactionId ||
  (event.transactionId === checkpoint.transactionId && event.position > checkpoint.position)

/**
 * The event store in the process's memory: the port's promises and nothing more (no
 * inline projections, so no unique keys). For tests of what sits on the port, and the
 * reference the contract suite holds the SQL store to. Every call commits at once, as
 * one transaction: `readAll` never has to wait behind a running one.
 */
export const make = Effect.sync(() => {
  const log: Array<RecordedEvent> = []
  const streams = new Map<string, Array<RecordedEvent>>()
  const snapshots = new Map<string, Snapshot>()
  let transactions = 0
  let next = Deferred.makeUnsafe<void>()

  const versionOf = (streamId: string) => streams.get(streamId)?.length ?? 0

  const accepts = (request: AppendRequest) =>
    versionOf(request.streamId) === request.expectedVersion &&
    (request.guards ?? []).every((guard) => versionOf(guard.streamId) === guard.version)

  const appendMany = (requests: ReadonlyArray<AppendRequest>) =>
    Effect.suspend(() => {
      const toWrite = requests.filter((request) => request.events.length > 0)
      if (new Set(toWrite.map((request) => request.streamId)).size !== toWrite.length) {
        return Effect.die(new Error("EventStore.appendMany: one request per stream"))
      }
      // Every request is judged against the log as it stood when the call began, as one SQL statement is.
      const accepted = new Set(toWrite.filter(accepts))
      const transactionId = ++transactions
      const recordedAt = new Date().toISOString()
      const outcomes = requests.map((request): AppendOutcome => {
        if (request.events.length === 0)
          return Result.succeed({ nextVersion: request.expectedVersion, events: [] })
        if (!accepted.has(request)) {
          return Result.fail(
            new VersionConflict({ streamId: request.streamId, expectedVersion: request.expectedVersion })
          )
        }
        const stream = streams.get(request.streamId) ?? []
        streams.set(request.streamId, stream)
        let prevHash = stream.at(-1)?.hash ?? zeroHash
        const events = request.events.map((event, i): RecordedEvent => {
          // Stored as the SQL store stores it: plain JSON.
          const data = JSON.parse(JSON.stringify(event.data))
          const fields = {
            streamId: request.streamId,
            streamVersion: request.expectedVersion + i + 1,
            tenantId: request.tenantId,
            type: event.type,
            schemaVersion: event.schemaVersion,
            recordedAt,
            metadata: event.metadata ?? request.metadata,
            data
          }
          const hash = chainHash(prevHash, chainBody(fields))
          const recorded = { ...fields, position: log.length + i + 1, transactionId, hash, prevHash }
          prevHash = hash
          return recorded
        })
        for (const event of events) {
          log.push(event)
          stream.push(event)
        }
        return Result.succeed({ nextVersion: request.expectedVersion + events.length, events })
      })
      if (accepted.size > 0) {
        const woken = next
        next = Deferred.makeUnsafe<void>()
        Deferred.doneUnsafe(woken, Effect.void)
      }
      return Effect.succeed(outcomes)
    })

  return EventStore.of({
    append: (request) => Effect.flatMap(appendMany([request]), (outcomes) => Effect.fromResult(outcomes[0]!)),
    appendMany,
    readLastEvent: (streamId) => Effect.sync(() => streams.get(streamId)?.at(-1)),
    readStream: (streamId, fromVersion = 1) =>
      Effect.sync(() => (streams.get(streamId) ?? []).filter((event) => event.streamVersion >= fromVersion)),
    readAll: (checkpoint, limit, scope) =>
      Effect.sync(() => {
        const tenants = scope === undefined ? undefined : new Set(scope.tenantIds)
        const events = log
          .filter(
            (event) => after(event, checkpoint) && (tenants === undefined || tenants.has(event.tenantId))
          )
          .slice(0, limit)
        const last = events.at(-1)
        return {
          events,
          checkpoint:
            last === undefined ? checkpoint : { transactionId: last.transactionId, position: last.position }
        }
      }),
    readTenantLog: (tenantId, page) =>
      Effect.sync(() => {
        const before = page.beforePosition ?? Number.POSITIVE_INFINITY
        const matching = log
          .filter((event) => event.tenantId === tenantId && event.position < before)
          .reverse()
          .slice(0, page.limit + 1)
        return { events: matching.slice(0, page.limit), hasMore: matching.length > page.limit }
      }),
    tenantHead: (tenantId) =>
      Effect.sync(() => {
        const events = log.filter((event) => event.tenantId === tenantId)
        const heads = [...streams.values()]
          .map((stream) => stream.at(-1)!)
          .filter((last) => last.tenantId === tenantId)
          .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0))
        return {
          position: events.at(-1)?.position ?? 0,
          count: events.length,
          streams: heads.map((last) => ({
            streamId: last.streamId,
            version: last.streamVersion,
            hash: last.hash
          }))
        }
      }),
    checkpointAt: (position) =>
      Effect.sync(() => {
        const event = log[position - 1]
        return event === undefined ? undefined : { transactionId: event.transactionId, position }
      }),
    headPosition: Effect.sync(() => log.length),
    awaitAppend: (timeoutMillis) =>
      Effect.suspend(() => Deferred.await(next)).pipe(
        Effect.timeoutOption(timeoutMillis),
        Effect.map(Option.isSome)
      ),
    loadSnapshot: (streamId) => Effect.sync(() => snapshots.get(streamId)),
    saveSnapshot: (snapshot) =>
      Effect.sync(() => {
        const current = snapshots.get(snapshot.streamId)
        if (current === undefined || current.streamVersion < snapshot.streamVersion) {
          snapshots.set(snapshot.streamId, snapshot)
        }
      })
  })
})

export const layer = Layer.effect(EventStore, make)
