/**
 * fast-check arbitraries for every aggregate's commands and events, one file each under
 * ./arbitraries/, on shared building blocks (ids, instants, slugs, configuration).
 * tests/property/schemas.test.ts checks that each satisfies its domain Schema and that
 * together they cover every command and event tag.
 */
export * from "./arbitraries/cacheVersions.ts"
export * from "./arbitraries/membership.ts"
export * from "./arbitraries/quota.ts"
export * from "./arbitraries/shared.ts"
export * from "./arbitraries/tenant.ts"
export * from "./arbitraries/webhook.ts"
