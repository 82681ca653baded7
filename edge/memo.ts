import type { SnapshotSource } from "./ports.ts"

/**
 * Keeps what a snapshot source answered (absent keys too) for `ttlMs`, so a busy edge
 * reads each key about once per `ttlMs` rather than once per request; a KV write is
 * served within `ttlMs` plus the read (CONTRACT: within 2 s, hence 1 s here). Reads of
 * one key in flight share one promise; at most `maxKeys` are kept, the oldest first out.
 */
export const memoSource = (
  source: SnapshotSource,
  ttlMs: number,
  now: () => number = Date.now,
  maxKeys = 100_000
): SnapshotSource => {
  const kept = new Map<string, { readonly at: number; readonly value: Promise<string | null> }>()
  return {
    get: (key) => {
      const at = now()
      const entry = kept.get(key)
      if (entry !== undefined && at - entry.at < ttlMs) return entry.value
      const value = source.get(key)
      kept.delete(key)
      if (kept.size >= maxKeys) kept.delete(kept.keys().next().value as string)
      kept.set(key, { at, value })
      value.catch(() => kept.delete(key))
      return value
    }
  }
}
