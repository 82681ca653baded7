import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import * as RedisKv from "../../adapters/kv/RedisKv.ts"
import { Kv } from "../../application/ports/Kv.ts"
import { redisUrl } from "../support/services.ts"
import { kvContract } from "./Kv.contract.ts"

// Without TEST_REDIS_URL (local runs) there is no Redis suite; CI sets it and globalSetup requires it.
if (redisUrl !== undefined) {
  kvContract("redis", RedisKv.layer(redisUrl, { keyPrefix: `tenantry-test:${process.pid}:` }))
}

describe("RedisKv failures", () => {
  it("given a port nobody listens on, when the layer starts, then it fails with a KvError quickly and never leaks the URL", async () => {
    const started = Date.now()
    const exit = await Effect.runPromiseExit(
      Effect.gen(function* () {
        const kv = yield* Kv
        return yield* kv.get("x")
      }).pipe(Effect.provide(RedisKv.layer("redis://:hunter2@127.0.0.1:1")))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("KvError")
    expect(JSON.stringify(exit)).not.toContain("hunter2")
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
