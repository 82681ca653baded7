import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fastRequestLogRecord, RequestLogRecord } from "../../domain/edge/requestLog.ts"
import { logRecord } from "../support/requestLogs.ts"

const decode = Schema.decodeUnknownResult(RequestLogRecord)
const fields = Object.keys(RequestLogRecord.fields)

/** Values near each rule's edges, of every JSON kind. */
const awkward = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue() },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      null,
      "",
      "/",
      "x",
      "HIT",
      "hit",
      "site",
      "DE",
      "de",
      "GET",
      "get",
      "tnt_0123456789",
      "2026-12-05T07:00:00Z",
      "2026-12-05T07:00:00.123456789Z",
      "2026-12-05 07:00:00Z",
      -0,
      -1,
      0,
      99,
      100,
      599,
      600,
      1.5,
      2 ** 53,
      2 ** 53 - 1,
      1e21,
      "😀".repeat(128),
      "a".repeat(63),
      "a".repeat(64),
      "a".repeat(256),
      "a".repeat(257),
      `/${"p".repeat(2047)}`,
      `/${"p".repeat(2048)}`
    )
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.double() }
)

/** A valid record with some fields replaced, removed, or extra ones added. */
const mutated = fc
  .record({
    replace: fc.array(fc.tuple(fc.constantFrom(...fields), awkward), { maxLength: 3 }),
    remove: fc.array(fc.constantFrom(...fields), { maxLength: 2 }),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 2 })
  })
  .map(({ replace, remove, extra }) => {
    const value: Record<string, unknown> = { ...extra, ...logRecord() }
    for (const [field, replacement] of replace) value[field] = replacement
    for (const field of remove) delete value[field]
    return value
  })

describe("the hand-written record check", () => {
  it("property: whatever it accepts the Schema accepts, decoding to the same record (own fields only)", () => {
    fc.assert(
      fc.property(
        fc.oneof({ weight: 6, arbitrary: mutated }, { weight: 1, arbitrary: fc.anything() }),
        (value) => {
          const fast = fastRequestLogRecord(value)
          if (fast === undefined) return
          const decoded = decode(value)
          expect(Result.isSuccess(decoded), JSON.stringify(value)).toBe(true)
          expect(fast).toEqual(Result.getOrThrow(decoded))
        }
      ),
      { numRuns: 10_000 }
    )
  })

  it("property: a valid record with extra fields is accepted by both", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 3 }), (extra) => {
        const record = logRecord()
        const value = { ...extra, ...record }
        expect(fastRequestLogRecord(value)).toEqual(record)
        expect(Result.isSuccess(decode(value))).toBe(true)
      })
    )
  })
})
