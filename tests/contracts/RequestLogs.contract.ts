import { assert, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import fc from "fast-check"
import { LogsSql } from "../../adapters/sql/logs/LogsDatabase.ts"
import { rebuildRollups, rollupTables } from "../../adapters/sql/logs/rebuildRollups.ts"
import { RequestLogs, type RollupRow } from "../../application/ports/RequestLogs.ts"
import {
  latencyBucket,
  latencyBucketCount,
  type RequestLogRecord,
  statusClass
} from "../../domain/edge/requestLog.ts"
import { logRecord, recordsArbitrary, tenantIdFor } from "../support/requestLogs.ts"

const day = 86_400_000
const hour = 3_600_000

/** What GET …/logs answers for a record. */
const stored = (record: RequestLogRecord) => {
  const { tenantId: _, ...rest } = record
  return { ...rest, ts: new Date(record.ts).toISOString() }
}

const newestFirst = (a: RequestLogRecord, b: RequestLogRecord) =>
  a.ts === b.ts ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.ts < b.ts ? 1 : -1

/** Every page of a tenant's logs, following the cursor. */
const allPages = (tenantId: string, limit: number, filter = {}) =>
  Effect.gen(function* () {
    const logs = yield* RequestLogs
    const seen: Array<unknown> = []
    let cursor: { ts: string; id: string } | undefined
    for (let guard = 0; guard < 1000; guard++) {
      const page = yield* logs.page({ tenantId, filter, cursor, limit })
      assert.isAtMost(page.logs.length, limit)
      seen.push(...page.logs)
      if (page.next === undefined) return seen
      cursor = page.next
    }
    throw new Error("the cursor never ended")
  })

/** Rollup rows computed the naive way: one pass over the stored records. */
const naiveRollups = (records: ReadonlyArray<RequestLogRecord>, granularity: "hour" | "day") => {
  const rows = new Map<string, RollupRow>()
  for (const record of records) {
    const t = Date.parse(record.ts)
    const bucket = new Date(t - (t % (granularity === "hour" ? hour : day))).toISOString()
    const key = `${record.tenantId}|${bucket}|${record.surface}`
    const row = rows.get(key) ?? {
      tenantId: record.tenantId,
      bucket,
      surface: record.surface,
      requests: 0,
      hits: 0,
      misses: 0,
      bypasses: 0,
      bytesOut: 0,
      bytesFromOrigin: 0,
      status: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
      latency: Array.from({ length: latencyBucketCount }, () => 0)
    }
    const latency = [...row.latency]
    latency[latencyBucket(record.durationMs)]! += 1
    const cls = statusClass(record.status)
    rows.set(key, {
      ...row,
      requests: row.requests + 1,
      hits: row.hits + (record.cache === "HIT" ? 1 : 0),
      misses: row.misses + (record.cache === "MISS" ? 1 : 0),
      bypasses: row.bypasses + (record.cache === "BYPASS" ? 1 : 0),
      bytesOut: row.bytesOut + record.bytesOut,
      bytesFromOrigin: row.bytesFromOrigin + record.bytesFromOrigin,
      status: { ...row.status, [cls]: row.status[cls] + 1 },
      latency
    })
  }
  const order = (row: RollupRow) => `${row.bucket}|${row.tenantId}|${row.surface}`
  return [...rows.values()].sort((a, b) => (order(a) < order(b) ? -1 : 1))
}

const sortRows = (rows: ReadonlyArray<RollupRow>) => {
  const order = (row: RollupRow) => `${row.bucket}|${row.tenantId}|${row.surface}`
  return [...rows].sort((a, b) => (order(a) < order(b) ? -1 : 1))
}

/**
 * What every RequestLogs store must do (CONTRACT.md, Request logs), run against each engine
 * (SqlRequestLogs.int.test.ts): storage, deduplication, partitions, the keyset page and its
 * filters, rollups equal to a naive computation over the stored records.
 */
export const requestLogsContract = (name: string, logsLayer: Layer.Layer<RequestLogs | LogsSql, unknown>) =>
  layer(logsLayer, { excludeTestServices: true, timeout: 120_000 })(`RequestLogs contract: ${name}`, (it) => {
    it.effect(
      "given a batch of records, when ingested, then each reads back newest first without its tenantId",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const now = Date.now()
          const records = [0, 1, 2].map((i) =>
            logRecord({ tenantId, ts: new Date(now - i * 1000).toISOString(), path: `/p${i}` })
          )
          const outcome = yield* logs.ingest({ batchId: undefined, records })
          assert.deepStrictEqual(outcome, { accepted: 3, duplicate: 0, batchSeen: false })
          const page = yield* logs.page({ tenantId, filter: {}, cursor: undefined, limit: 50 })
          assert.deepStrictEqual(page.logs, records.map(stored))
          assert.isUndefined(page.next)
        })
    )

    it.effect(
      "given a stored record, when its id comes again (in another batch, at another time, or twice in one batch), then it counts as a duplicate and is stored once",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const first = logRecord({ tenantId })
          yield* logs.ingest({ batchId: undefined, records: [first] })
          const again = { ...first, ts: new Date(Date.parse(first.ts) - 3 * day).toISOString(), status: 500 }
          const twice = logRecord({ tenantId })
          const outcome = yield* logs.ingest({ batchId: undefined, records: [again, twice, twice] })
          assert.deepStrictEqual(outcome, { accepted: 1, duplicate: 2, batchSeen: false })
          const page = yield* logs.page({ tenantId, filter: {}, cursor: undefined, limit: 50 })
          assert.deepStrictEqual(page.logs.map((log) => log.id).sort(), [first.id, twice.id].sort())
          const rows = yield* logs.rollups({
            tenantIds: [tenantId],
            granularity: "day",
            from: new Date(Date.now() - 10 * day),
            to: new Date(Date.now() + day)
          })
          assert.strictEqual(
            rows.reduce((sum, row) => sum + row.requests, 0),
            2
          )
        })
    )

    it.effect(
      "given a batch id already ingested, when the batch comes again, then nothing is stored twice",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const batchId = `batch-${tenantId}`
          const records = [logRecord({ tenantId }), logRecord({ tenantId })]
          assert.deepStrictEqual(yield* logs.ingest({ batchId, records }), {
            accepted: 2,
            duplicate: 0,
            batchSeen: false
          })
          const replay = [...records, logRecord({ tenantId })]
          assert.deepStrictEqual(yield* logs.ingest({ batchId, records: replay }), {
            accepted: 0,
            duplicate: 3,
            batchSeen: true
          })
          const page = yield* logs.page({ tenantId, filter: {}, cursor: undefined, limit: 50 })
          assert.strictEqual(page.logs.length, 2)
        })
    )

    it.effect(
      "given days without a partition, when records of those days arrive, then their partitions are made and the records stored",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const sql = yield* LogsSql
          const tenantId = tenantIdFor()
          const records = [20, 21, 22].map((days) =>
            logRecord({ tenantId, ts: new Date(Date.now() - days * day).toISOString() })
          )
          const outcome = yield* logs.ingest({ batchId: undefined, records })
          assert.strictEqual(outcome.accepted, 3)
          const partitions = yield* sql<{ readonly name: string }>`
            SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'request_logs'`
          const names = new Set(partitions.map((row) => row.name))
          for (const record of records) {
            assert.isTrue(names.has(`request_logs_p${record.ts.slice(0, 10).replaceAll("-", "")}`))
          }
        })
    )

    it.effect(
      "given partitions older than retention, when maintained, then days ahead exist, old partitions are gone with their records, and rollups stay, also through a rebuild",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const now = new Date()
          const old = logRecord({ tenantId, ts: new Date(now.getTime() - 40 * day).toISOString() })
          const recent = logRecord({ tenantId, ts: new Date(now.getTime() - 1000).toISOString() })
          yield* logs.ingest({ batchId: undefined, records: [old, recent] })
          const result = yield* logs.maintain({ now, retentionDays: 30, aheadDays: 3 })
          assert.include(result.dropped, old.ts.slice(0, 10))
          const ahead = new Date(now.getTime() + 3 * day).toISOString().slice(0, 10)
          const again = yield* logs.maintain({ now, retentionDays: 30, aheadDays: 3 })
          assert.deepStrictEqual(again, { created: [], dropped: [] })
          // The day 3 ahead takes a record without creating anything.
          const future = logRecord({ tenantId, ts: `${ahead}T12:00:00.000Z` })
          assert.strictEqual((yield* logs.ingest({ batchId: undefined, records: [future] })).accepted, 1)
          const page = yield* logs.page({ tenantId, filter: {}, cursor: undefined, limit: 50 })
          assert.deepStrictEqual(
            page.logs.map((log) => log.id),
            [future.id, recent.id]
          )
          const rows = yield* logs.rollups({
            tenantIds: [tenantId],
            granularity: "day",
            from: new Date(now.getTime() - 50 * day),
            to: new Date(now.getTime() + 5 * day)
          })
          assert.strictEqual(
            rows.reduce((sum, row) => sum + row.requests, 0),
            3
          )
          yield* rebuildRollups(yield* LogsSql, { tenantId })
          const rebuilt = yield* logs.rollups({
            tenantIds: [tenantId],
            granularity: "day",
            from: new Date(now.getTime() - 50 * day),
            to: new Date(now.getTime() + 5 * day)
          })
          assert.deepStrictEqual(rebuilt, rows)
        })
    )

    it.effect(
      "given records of many kinds, when paged with each filter, then every page matches and the cursor walks them all once",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const other = tenantIdFor()
          const base = Date.now() - 1000
          const records = yield* Effect.sync(
            () => fc.sample(recordsArbitrary([tenantId, other], base), 1)[0]!
          )
          // Same instant twice: the id breaks the tie.
          const tied = [
            logRecord({ tenantId, ts: new Date(base).toISOString(), id: "tie-a" }),
            logRecord({ tenantId, ts: new Date(base).toISOString(), id: "tie-b" })
          ]
          const all = [...records, ...tied]
          yield* logs.ingest({ batchId: undefined, records: all })
          const mine = all.filter((record) => record.tenantId === tenantId).sort(newestFirst)
          assert.deepStrictEqual(yield* allPages(tenantId, 7), mine.map(stored))
          const from = new Date(base - 10 * hour)
          const to = new Date(base - 2 * hour)
          const cases = [
            [{ status: { code: 404 } }, (r: RequestLogRecord) => r.status === 404],
            [{ status: { class: "5xx" } }, (r: RequestLogRecord) => r.status >= 500],
            [{ cache: "MISS" }, (r: RequestLogRecord) => r.cache === "MISS"],
            [{ surface: "api" }, (r: RequestLogRecord) => r.surface === "api"],
            [{ method: "HEAD" }, (r: RequestLogRecord) => r.method === "HEAD"],
            [{ pathPrefix: "/blog" }, (r: RequestLogRecord) => r.path.startsWith("/blog")],
            [{ pathPrefix: "/100%_" }, (r: RequestLogRecord) => r.path.startsWith("/100%_")],
            [{ pathPrefix: "/1_" }, () => false],
            [
              { from, to },
              (r: RequestLogRecord) => Date.parse(r.ts) >= from.getTime() && Date.parse(r.ts) <= to.getTime()
            ]
          ] as const
          for (const [filter, keep] of cases) {
            assert.deepStrictEqual(
              yield* allPages(tenantId, 5, filter),
              mine.filter(keep).map(stored),
              JSON.stringify(filter)
            )
          }
        })
    )

    it.effect(
      "given batches with duplicates and replays, when the rollups are rebuilt from the raw records, then every rollup and top-k table is as ingestion left it",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const sql = yield* LogsSql
          const tenants = [tenantIdFor(), tenantIdFor()]
          // Several samples in one batch set: fast-check keeps a single array short.
          const records = fc
            .sample(recordsArbitrary(tenants, Date.now() - 1000), { numRuns: 8, seed: 42 })
            .flat()
          const half = Math.floor(records.length / 2)
          yield* logs.ingest({ batchId: undefined, records: records.slice(0, half) })
          yield* logs.ingest({ batchId: undefined, records: records.slice(half) })
          yield* logs.ingest({ batchId: undefined, records: records.slice(0, half) })
          const tables = () =>
            Effect.forEach(rollupTables, (table) =>
              Effect.forEach(tenants, (tenantId) =>
                sql.unsafe(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY 1, 2, 3`, [tenantId])
              )
            ).pipe(Effect.map((perTable) => perTable.map((perTenant) => perTenant.flat())))
          const ingested = yield* tables()
          assert.isAbove(
            ingested.reduce((rows, table) => rows + table.length, 0),
            0
          )
          for (const tenantId of tenants) yield* rebuildRollups(sql, { tenantId })
          assert.deepStrictEqual(yield* tables(), ingested)
        })
    )

    it.effect(
      "given the same records arriving at once in batches of different orders (a shipper's retry racing its first attempt), when ingested, then none fails and each record is stored and counted once",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const tenantId = tenantIdFor()
          const now = Date.now()
          const records = Array.from({ length: 2000 }, (_, i) =>
            logRecord({
              tenantId,
              ts: new Date(now - (i % 40) * 3_600_000).toISOString(),
              path: `/p${i % 30}`
            })
          )
          const shuffled = (seed: number) =>
            records
              .map((record, i) => ({ record, key: (i * 7919 + seed * 104729) % 1009 }))
              .sort((a, b) => a.key - b.key)
              .map(({ record }) => record)
          const outcomes = yield* Effect.forEach(
            [0, 1, 2, 3, 4, 5, 6, 7],
            (seed) => logs.ingest({ batchId: undefined, records: seed === 0 ? records : shuffled(seed) }),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(
            outcomes.reduce((sum, outcome) => sum + outcome.accepted, 0),
            records.length
          )
          const rows = yield* logs.rollups({
            tenantIds: [tenantId],
            granularity: "day",
            from: new Date(now - 3 * day),
            to: new Date(now + day)
          })
          assert.strictEqual(
            rows.reduce((sum, row) => sum + row.requests, 0),
            records.length
          )
        })
    )

    it.effect(
      "given batches being ingested, when the rollups are rebuilt meanwhile, then ingestion waits for each rebuild and the tables end as a rebuild of every stored record",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          const sql = yield* LogsSql
          const tenantId = tenantIdFor()
          const batches = fc.sample(recordsArbitrary([tenantId], Date.now() - 1000), { numRuns: 12, seed: 7 })
          const tables = () =>
            Effect.forEach(rollupTables, (table) =>
              sql.unsafe(`SELECT * FROM ${table} WHERE tenant_id = $1 ORDER BY 1, 2, 3`, [tenantId])
            )
          yield* Effect.all(
            [
              Effect.forEach(batches, (records) => logs.ingest({ batchId: undefined, records }), {
                concurrency: 4,
                discard: true
              }),
              Effect.forEach(batches, () => rebuildRollups(sql, { tenantId }), {
                concurrency: 2,
                discard: true
              })
            ],
            { concurrency: "unbounded" }
          )
          const ingested = yield* tables()
          const { records } = yield* rebuildRollups(sql, { tenantId })
          assert.strictEqual(records, new Set(batches.flat().map((record) => record.id)).size)
          assert.deepStrictEqual(yield* tables(), ingested)
        })
    )

    it.effect(
      "property: whatever batches arrive (duplicates and replays included), the hourly and daily rollups equal a naive computation over the stored records, and top paths and countries agree",
      () =>
        Effect.gen(function* () {
          const logs = yield* RequestLogs
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(
                fc.constant(null).chain(() => {
                  const tenants = [tenantIdFor(), tenantIdFor()]
                  const base = Date.now() - 1000
                  return fc.record({
                    tenants: fc.constant(tenants),
                    base: fc.constant(base),
                    records: recordsArbitrary(tenants, base),
                    cuts: fc.array(fc.nat({ max: 60 }), { maxLength: 4 }),
                    replays: fc.array(fc.nat({ max: 5 }), { maxLength: 3 })
                  })
                }),
                async ({ tenants, base, records, cuts, replays }) => {
                  const bounds = [
                    0,
                    ...cuts.filter((cut) => cut <= records.length).sort((a, b) => a - b),
                    records.length
                  ]
                  const batches = bounds.slice(1).map((end, index) => records.slice(bounds[index], end))
                  const sent: Array<RequestLogRecord> = []
                  for (const [index, batch] of batches.entries()) {
                    await Effect.runPromise(
                      logs.ingest({ batchId: `b-${tenants[0]}-${index}`, records: batch })
                    )
                    sent.push(...batch)
                    // Resend an earlier batch, under its id or as fresh records with old ids.
                    for (const replay of replays) {
                      const earlier = batches[replay % (index + 1)]!
                      await Effect.runPromise(
                        logs.ingest({ batchId: `b-${tenants[0]}-${replay % (index + 1)}`, records: earlier })
                      )
                      await Effect.runPromise(logs.ingest({ batchId: undefined, records: earlier }))
                    }
                  }
                  const range = {
                    tenantIds: tenants,
                    from: new Date(base - 3 * day),
                    to: new Date(base + day)
                  }
                  for (const granularity of ["hour", "day"] as const) {
                    const rows = await Effect.runPromise(logs.rollups({ ...range, granularity }))
                    assert.deepStrictEqual(sortRows(rows), naiveRollups(sent, granularity))
                  }
                  const paths = await Effect.runPromise(logs.topPaths({ ...range, granularity: "day" }, 10))
                  const naivePaths = new Map<string, { requests: number; bytesOut: number }>()
                  for (const record of sent) {
                    const entry = naivePaths.get(record.path) ?? { requests: 0, bytesOut: 0 }
                    naivePaths.set(record.path, {
                      requests: entry.requests + 1,
                      bytesOut: entry.bytesOut + record.bytesOut
                    })
                  }
                  assert.deepStrictEqual(
                    [...paths].sort((a, b) => (a.path < b.path ? -1 : 1)),
                    [...naivePaths.entries()]
                      .map(([path, entry]) => ({ path, ...entry }))
                      .sort((a, b) => (a.path < b.path ? -1 : 1))
                  )
                  const countries = await Effect.runPromise(
                    logs.topCountries({ ...range, granularity: "hour" }, 10)
                  )
                  const naiveCountries = new Map<string | null, number>()
                  for (const record of sent)
                    naiveCountries.set(record.country, (naiveCountries.get(record.country) ?? 0) + 1)
                  assert.deepStrictEqual(
                    new Map(countries.map((entry) => [entry.country, entry.requests])),
                    naiveCountries
                  )
                }
              ),
              { numRuns: 15 }
            )
          )
        })
    )
  })
