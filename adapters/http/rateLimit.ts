import { Context, Effect, Layer } from "effect"
import { Config } from "../../application/config.ts"

/** A token bucket's settings: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  readonly burst: number
  readonly perSecond: number
}

export interface WebhookRateLimits {
  readonly perWebhook: RateLimit
  readonly perClient: RateLimit
}

/** Per node: a webhook takes 300 at once then 100/s; a client address 1,000 then 500/s. */
export const defaultWebhookRateLimits: WebhookRateLimits = {
  perWebhook: { burst: 300, perSecond: 100 },
  perClient: { burst: 1000, perSecond: 500 }
}

interface Bucket {
  tokens: number
  last: number
}

/**
 * Token buckets by key, in this process's memory: each node limits what it sees (behind
 * N nodes a key gets up to N times the rate). Taking a token is O(1) and allocation-free
 * for a known key; the map is bounded, dropping the least recently inserted keys first.
 */
export const tokenBuckets = (limit: RateLimit, options: { readonly maxKeys?: number } = {}) => {
  const buckets = new Map<string, Bucket>()
  const maxKeys = options.maxKeys ?? 100_000
  /** 0 when a token was taken; otherwise the whole seconds to wait before one is there. */
  const take = (key: string, now: number = performance.now()): number => {
    let bucket = buckets.get(key)
    if (bucket === undefined) {
      bucket = { tokens: limit.burst, last: now }
      buckets.set(key, bucket)
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string)
    } else {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.last) / 1000) * limit.perSecond)
      bucket.last = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond))
  }
  return { take }
}

/**
 * The receivers' rate limits, one set per server, charged by the
 * route guards (routeGuards.ts) for every endpoint that names a `RateLimitKey`.
 */
export class ReceiverLimits extends Context.Service<
  ReceiverLimits,
  {
    /**
     * Charges a request to `client` (its address, see clientAddress.ts) and `key` (a webhook
     * id, or `site-publish:{slug}`): 0 when it may go on, else the seconds to wait.
     */
    readonly take: (client: string, key: string) => number
  }
>()("tenantry/adapters/http/ReceiverLimits") {
  static readonly layer = Layer.effect(
    ReceiverLimits,
    Effect.gen(function* () {
      const config = yield* Config
      const limits = config.webhookRateLimits ?? defaultWebhookRateLimits
      const perWebhook = tokenBuckets(limits.perWebhook)
      const perClient = tokenBuckets(limits.perClient)
      return ReceiverLimits.of({
        take: (client, key) => {
          const now = performance.now()
          return Math.max(perClient.take(client, now), perWebhook.take(key, now))
        }
      })
    })
  )
}
