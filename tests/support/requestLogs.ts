import fc from "fast-check"
import type { RequestLogRecord } from "../../domain/edge/requestLog.ts"
import type { TenantId } from "../../domain/shared/ids.ts"

let counter = 0

/** A unique record id. */
export const recordId = () =>
  `rec_${Date.now().toString(36)}_${(counter++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`

/** A fresh tenant id (tnt_ + 20 base-36 characters). */
export const tenantIdFor = () =>
  `tnt_${Array.from({ length: 20 }, () => Math.floor(Math.random() * 36).toString(36)).join("")}` as TenantId

/** A valid record served now, with anything overridden. */
export const logRecord = (overrides: Partial<RequestLogRecord> = {}): RequestLogRecord => ({
  id: recordId(),
  ts: new Date().toISOString(),
  tenantId: tenantIdFor(),
  slug: "acme",
  host: "acme.cachely.localhost",
  method: "GET",
  path: "/",
  status: 200,
  cache: "HIT",
  surface: "site",
  bytesOut: 1234,
  bytesFromOrigin: 0,
  durationMs: 3,
  originMs: null,
  country: "DE",
  userAgent: "curl/8.5.0",
  ...overrides
})

const hour = 3_600_000

/**
 * Records of the given tenants spread over a few hours (and across a UTC midnight) before
 * `base`, with few distinct paths, countries and statuses so rollup rows collect several.
 */
export const recordsArbitrary = (tenantIds: ReadonlyArray<TenantId>, base: number) =>
  fc
    .array(
      fc.record({
        tenantId: fc.constantFrom(...tenantIds),
        offset: fc.integer({ min: 0, max: 30 * hour }),
        method: fc.constantFrom("GET", "HEAD", "POST"),
        path: fc.constantFrom("/", "/blog", "/blog/a", "/~api/items", "/100%_off"),
        status: fc.constantFrom(101, 200, 204, 301, 304, 404, 429, 500, 503),
        cache: fc.constantFrom("HIT" as const, "MISS" as const, "BYPASS" as const),
        surface: fc.constantFrom("site" as const, "api" as const, "assets" as const),
        bytesOut: fc.integer({ min: 0, max: 5_000_000 }),
        bytesFromOrigin: fc.integer({ min: 0, max: 5_000_000 }),
        durationMs: fc.oneof(
          fc.constantFrom(0, 5, 10, 25, 10000, 10000.5),
          fc.double({ min: 0, max: 20_000, noNaN: true, noDefaultInfinity: true })
        ),
        country: fc.constantFrom("DE", "US", null)
      }),
      { minLength: 0, maxLength: 60 }
    )
    .map((items) =>
      items.map(
        (item): RequestLogRecord =>
          logRecord({
            tenantId: item.tenantId,
            ts: new Date(base - item.offset).toISOString(),
            method: item.method,
            path: item.path,
            status: item.status,
            cache: item.cache,
            surface: item.surface,
            bytesOut: item.bytesOut,
            bytesFromOrigin: item.bytesFromOrigin,
            durationMs: item.durationMs,
            originMs: item.cache === "HIT" ? null : item.durationMs,
            country: item.country
          })
      )
    )
