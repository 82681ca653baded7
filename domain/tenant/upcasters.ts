import type { Json } from "../shared/aggregate.ts"

/** Old stored shapes of tenant events, lifted to the current one on read, step by step. */
export const upcasters: Readonly<Record<string, Readonly<Record<number, (data: Json) => Json>>>> = {
  TenantCreated: {
    // v1 predates the site proxy (seed 001); those tenants did not use it.
    1: (data) => ({ ...data, siteProxy: false })
  }
}
