import type { CachedResponse, EdgeCache } from "../ports.ts"

/**
 * The Node host's cache: in memory, bounded by bytes (EDGE_CACHE_MB), least recently used
 * first out. A Map keeps insertion order, so a hit re-inserts its key at the end and
 * eviction takes from the front.
 */
export const memoryCache = (maxBytes: number): EdgeCache & { readonly bytes: () => number } => {
  const entries = new Map<string, CachedResponse & { readonly size: number }>()
  let total = 0
  const sizeOf = (key: string, entry: CachedResponse) =>
    entry.body.byteLength +
    key.length +
    entry.headers.reduce((sum, [name, value]) => sum + name.length + value.length, 64)
  return {
    get: async (key) => {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      entries.set(key, entry)
      return entry
    },
    put: async (key, entry) => {
      const size = sizeOf(key, entry)
      if (size > maxBytes) return
      const old = entries.get(key)
      if (old !== undefined) {
        total -= old.size
        entries.delete(key)
      }
      while (total + size > maxBytes) {
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        total -= (entries.get(oldest.value) as { size: number }).size
        entries.delete(oldest.value)
      }
      entries.set(key, { ...entry, size })
      total += size
    },
    bytes: () => total
  }
}
