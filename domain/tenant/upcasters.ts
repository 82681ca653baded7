/**
 * Old stored shapes lifted to the current one, applied on read, step by step.
 * `upcasters[type][n]` turns version n's data into version n + 1's.
 */
type Json = Record<string, unknown>

export const upcasters: Record<string, Record<number, (data: Json) => Json>> = {
  TenantCreated: {
    // v1 predates the site proxy (seed 001); those tenants did not use it.
    1: (data) => ({ ...data, siteProxy: false })
  }
}

/** Lifts `data` stored at `version` to `target`; fails loudly on a gap in the chain. */
export const upcast = (type: string, version: number, target: number, data: Json): Json => {
  // Data from a newer release (say, after a rollback) cannot be read safely as an older shape.
  if (version > target)
    throw new Error(`${type} v${version} is newer than this release understands (v${target})`)
  let current = data
  for (let v = version; v < target; v++) {
    const step = upcasters[type]?.[v]
    if (step === undefined) throw new Error(`No upcaster for ${type} v${v}`)
    current = step(current)
  }
  return current
}
