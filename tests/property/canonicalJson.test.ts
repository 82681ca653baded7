import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { byCodePoint, canonicalJson } from "../../application/audit/chain.ts"

/** The chain's canonical JSON sorts object keys in UTF-8 byte order (docs/audit.md). */
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))
const sign = (n: number) => Math.sign(n)

describe("canonical JSON of the audit chain", () => {
  it("given any two strings (astral code points, U+E000–U+FFFF and ASCII mixed), then keys compare as their UTF-8 bytes do", () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom("a", "z", "\uE000", "\uFFFF", "\uD7FF", "😀", "𐀀"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
      )
    })
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(sign(byCodePoint(a, b))).toBe(sign(utf8Order(a, b)))
      }),
      { numRuns: 2000 }
    )
  })

  it("given an object with such keys, then its keys are written in UTF-8 byte order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.integer()), (record) => {
        const written = Object.keys(JSON.parse(canonicalJson(record)) as Record<string, number>)
        // JSON.parse keeps insertion order for non-index keys; integer-like keys go first in any object.
        const expected = Object.keys(record).sort(utf8Order)
        const indexLike = (key: string) => /^(0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1
        expect(written.filter((key) => !indexLike(key))).toEqual(expected.filter((key) => !indexLike(key)))
        expect(canonicalJson(record)).toBe(
          `{${expected.map((key) => `${JSON.stringify(key)}:${JSON.stringify(record[key])}`).join(",")}}`
        )
      }),
      { numRuns: 500 }
    )
  })
})
