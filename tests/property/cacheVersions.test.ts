import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import {
  type CacheTarget,
  type CacheVersions,
  CacheVersionsState,
  cacheVersionsDecider
} from "../../domain/cacheVersions/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import { cacheVersionsCommandArb, cacheVersionsEventArb } from "../support/arbitraries.ts"

/**
 * The cache versions as a person expects them, whatever came before: every accepted bump
 * moves each target it names up by exactly one and leaves the others; a bump of a tenant
 * that is not live, or a delivery whose secret does not open a live webhook, changes
 * nothing; the last event alone is the state.
 */

const targets: Record<CacheTarget, ReadonlyArray<keyof CacheVersions>> = {
  api: ["apiCacheVersion"],
  assets: ["assetCacheVersion"],
  html: ["htmlCacheVersion"],
  all: ["apiCacheVersion", "assetCacheVersion", "htmlCacheVersion"]
}

describe("Cache versions (arbitrary bumps after arbitrary history)", () => {
  it("given any history and any bumps, then each accepted one moves exactly its targets by one and each refusal is the rule's", () => {
    fc.assert(
      fc.property(
        fc.array(cacheVersionsEventArb, { maxLength: 3 }),
        fc.array(cacheVersionsCommandArb, { minLength: 1, maxLength: 30 }),
        (history, commands) => {
          let state = fold(cacheVersionsDecider, history)
          for (const command of commands) {
            const decision = cacheVersionsDecider.decide(command, state)
            const opens =
              command._tag === "BumpCacheVersions" ||
              (command.webhook !== null && command.webhook.secretHash === command.presentedSecretHash)
            if (!command.tenantLive || !opens) {
              expect(Result.isFailure(decision) && decision.failure._tag).toBe(
                command._tag === "BumpCacheVersions" ? "TenantNotFound" : "WebhookNotFound"
              )
              continue
            }
            if (Result.isFailure(decision)) throw new Error(`unexpected refusal ${decision.failure._tag}`)
            expect(decision.success).toHaveLength(1)
            const [event] = decision.success
            expect(event).toMatchObject({
              _tag: "CacheVersionsBumped",
              target: command.target,
              at: command.at
            })
            const next = fold(cacheVersionsDecider, decision.success, state)
            for (const key of Object.keys(state.versions) as Array<keyof CacheVersions>) {
              expect(next.versions[key] - state.versions[key]).toBe(
                targets[command.target].includes(key) ? 1 : 0
              )
            }
            // What is stored is the whole state: loading the last event alone gives it.
            expect(cacheVersionsDecider.evolve(cacheVersionsDecider.initialState, event!)).toEqual(next)
            expect(Schema.is(CacheVersionsState)(next)).toBe(true)
            state = next
          }
        }
      ),
      { numRuns: 500 }
    )
  })
})
