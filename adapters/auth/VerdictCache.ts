import { createHash } from "node:crypto"
import type { Session } from "../../application/ports/Sessions.ts"

/**
 * Remembers sessions that already passed verification, so a client that sends the same
 * token on every request pays for the signature check once. Keyed by a SHA-256 of the
 * token: the token itself (a bearer credential) is never kept in memory longer than the
 * request that carried it.
 */
export interface VerdictCache {
  /** The cached session, if any and if its token is still within its lifetime at `nowSeconds`. */
  readonly get: (key: string, nowSeconds: number) => Session | undefined
  readonly set: (key: string, session: Session, nowSeconds: number) => void
  readonly size: () => number
}

export const tokenKey = (token: string): string => createHash("sha256").update(token).digest("base64url")

/**
 * A bounded map in insertion order, refreshed on hit, so the oldest-used entry is the
 * first one in iteration order (LRU without a linked list). `toleranceSeconds` must be
 * the verifier's clock tolerance, so the cache never accepts a token longer than a fresh
 * verification would.
 */
export const makeVerdictCache = (options: {
  readonly maxEntries: number
  readonly toleranceSeconds: number
}): VerdictCache => {
  const entries = new Map<string, Session>()
  let lastSweepSecond = Number.NEGATIVE_INFINITY
  const isLive = (session: Session, nowSeconds: number) =>
    nowSeconds < session.expiresAt + options.toleranceSeconds

  const evictExpired = (nowSeconds: number) => {
    for (const [key, session] of entries) {
      if (!isLive(session, nowSeconds)) entries.delete(key)
    }
  }

  return {
    get: (key, nowSeconds) => {
      const session = entries.get(key)
      if (session === undefined) return undefined
      entries.delete(key)
      if (!isLive(session, nowSeconds)) return undefined
      entries.set(key, session)
      return session
    },
    set: (key, session, nowSeconds) => {
      if (options.maxEntries <= 0 || !isLive(session, nowSeconds)) return
      entries.delete(key)
      if (entries.size >= options.maxEntries) {
        // Dead entries go first. A sweep is O(n), so it runs at most once a second: a cache
        // full of live tokens then costs one sweep per second, not one per insert.
        if (nowSeconds !== lastSweepSecond) {
          lastSweepSecond = nowSeconds
          evictExpired(nowSeconds)
        }
        while (entries.size >= options.maxEntries) {
          const oldest = entries.keys().next()
          if (oldest.done === true) break
          entries.delete(oldest.value)
        }
      }
      entries.set(key, session)
    },
    size: () => entries.size
  }
}
