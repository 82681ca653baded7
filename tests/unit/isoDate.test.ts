import { describe, expect, it } from "vitest"
import { calendarFieldsExist } from "../../domain/shared/isoDate.ts"

describe("calendarFieldsExist", () => {
  it("given dates and times that exist, then true", () => {
    for (const text of [
      "2026-12-05",
      "2024-02-29T23:59:59Z",
      "2026-12-05T00:00:00.000Z",
      "2026-12-05 07:00"
    ]) {
      expect(calendarFieldsExist(text), text).toBe(true)
    }
  })
  it("given days, months or clock fields Date.parse would roll over, then false", () => {
    for (const text of [
      "2026-02-30",
      "2026-11-31T12:00:00Z",
      "2025-02-29",
      "2026-13-01",
      "2026-12-05T24:00:00Z",
      "2026-12-05T10:60Z",
      "2026-12-05T10:00:60Z",
      "yesterday"
    ]) {
      expect(calendarFieldsExist(text), text).toBe(false)
    }
  })
})
