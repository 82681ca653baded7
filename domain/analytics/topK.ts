/**
 * The per-day top-k tables (top paths, top countries), kept at ingest so the top lists
 * never scan raw records.
 *
 * Paths are unbounded (a site may serve millions of distinct ones), so each tenant keeps
 * counts for at most `topPathsPerDay` distinct paths per UTC day: a path seen while the day
 * has room gets its own exact row from then on; once the day is full, the requests of paths
 * not yet held are counted in the day's "other" row (path `""`, never a real path: paths
 * start with `/`). So a day's rows always sum to its exact totals; a path's count is exact
 * when it was admitted with its first request of the day, and never more than its true
 * count. The approximation only touches days with more than 500 distinct paths, and then
 * only paths first seen after the 500th: a popular path is, by being popular, seen early.
 * Concurrent ingests may each admit paths against the same count, so a day can exceed the
 * bound by at most the new paths of the batches committed at the same moment.
 *
 * Countries are bounded by nature (ISO 3166 alpha-2 codes, plus `""` for unknown), so
 * their per-day table is exact.
 */
export const topPathsPerDay = 500

/** The "other" row's path: requests of paths a full day could not hold. */
export const otherPath = ""
