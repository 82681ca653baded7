import fc from "fast-check"
import type { RequestLogRecord } from "../../../domain/edge/requestLog.ts"
import type { TenantId } from "../../../domain/shared/ids.ts"

/**
 * Request log records for the analytics properties: times spread over a few days around a
 * month boundary (so hours, days and months all split them), every surface, cache outcome
 * and status class, sizes from 0 to gigabytes, durations across every latency bucket, a
 * few paths and countries (so rankings tie and repeat), and repeated ids (duplicates).
 */
export const analyticsEpoch = Date.UTC(2026, 10, 28) // 2026-11-28, four days before December
export const analyticsSpanMs = 8 * 86_400_000

export const recordArb = (tenantId: TenantId, slug: string): fc.Arbitrary<RequestLogRecord> =>
  fc
    .record({
      id: fc.integer({ min: 1, max: 400 }).map((n) => `r${n}`),
      offset: fc.integer({ min: 0, max: analyticsSpanMs - 1 }),
      path: fc.constantFrom("/", "/a", "/b", "/~api/items", "/~assets/images.ctfassets.net/x.png", "/c/d"),
      status: fc.constantFrom(101, 200, 204, 301, 304, 404, 429, 500, 503),
      cache: fc.constantFrom("HIT" as const, "MISS" as const, "BYPASS" as const),
      surface: fc.constantFrom("site" as const, "api" as const, "assets" as const),
      bytesOut: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3_000_000_000 })),
      bytesFromOrigin: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 })),
      durationMs: fc.oneof(fc.integer({ min: 0, max: 40_000 }), fc.double({ min: 0, max: 100, noNaN: true })),
      country: fc.constantFrom(null, "DE", "US", "FR", "JP")
    })
    .map((r) => ({
      id: r.id,
      ts: new Date(analyticsEpoch + r.offset).toISOString(),
      tenantId,
      slug,
      host: `${slug}.cachely.localhost`,
      method: "GET",
      path: r.path,
      status: r.status,
      cache: r.cache,
      surface: r.surface,
      bytesOut: r.bytesOut,
      bytesFromOrigin: r.bytesFromOrigin,
      durationMs: r.durationMs,
      originMs: r.cache === "HIT" ? null : r.durationMs,
      country: r.country,
      userAgent: "test"
    }))
