import { Context, Effect, Layer, Schema } from "effect"

/** A manual verify of this domain came too soon after the previous ones. */
export class VerifyRateLimited extends Schema.TaggedError<VerifyRateLimited>()("VerifyRateLimited", {
  hostname: Schema.String,
  retryAfterSeconds: Schema.Number
}) {
  readonly code = "rate_limited"
}

/** 5 verify calls at once per domain, then one every 10 s. Per node (like the receivers' limits). */
export const verifyBurst = 5
export const verifyEverySeconds = 10

/**
 * Token buckets of manual verify calls, one per hostname, in this process's memory (a Map,
 * bounded: the least recently inserted keys go first). Each call costs several DNS lookups,
 * and a person clicking "verify" in a loop should not turn us into a DNS load generator.
 */
export class VerifyLimits extends Context.Service<
  VerifyLimits,
  { readonly take: (hostname: string) => Effect.Effect<void, VerifyRateLimited> }
>()("tenantry/application/customDomains/VerifyLimits") {
  static readonly layer = Layer.sync(VerifyLimits, () => {
    const buckets = new Map<string, { tokens: number; last: number }>()
    const maxKeys = 100_000
    return VerifyLimits.of({
      take: (hostname) =>
        Effect.suspend(() => {
          const now = performance.now()
          let bucket = buckets.get(hostname)
          if (bucket === undefined) {
            bucket = { tokens: verifyBurst, last: now }
            buckets.set(hostname, bucket)
            if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string)
          } else {
            bucket.tokens = Math.min(
              verifyBurst,
              bucket.tokens + (now - bucket.last) / 1000 / verifyEverySeconds
            )
            bucket.last = now
          }
          if (bucket.tokens >= 1) {
            bucket.tokens -= 1
            return Effect.void
          }
          const wait = Math.max(1, Math.ceil((1 - bucket.tokens) * verifyEverySeconds))
          return Effect.fail(new VerifyRateLimited({ hostname, retryAfterSeconds: wait }))
        })
    })
  })
}
