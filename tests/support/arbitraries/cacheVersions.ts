import fc from "fast-check"
import type {
  CacheTarget,
  CacheVersions,
  CacheVersionsCommand,
  CacheVersionsEvent
} from "../../../domain/cacheVersions/index.ts"
import { sha256HexArb, timed, type Untimed } from "./shared.ts"
import { webhookIdArb } from "./webhook.ts"

/** Commands and events of a tenant's cache versions (stream `cache-versions-{tenantId}`). */

type Command<Tag extends CacheVersionsCommand["_tag"]> = Extract<CacheVersionsCommand, { _tag: Tag }>

export const cacheTargetArb: fc.Arbitrary<CacheTarget> = fc.constantFrom("api", "assets", "html", "all")

export const cacheVersionsArb: fc.Arbitrary<CacheVersions> = fc.record({
  apiCacheVersion: fc.integer({ min: 1, max: 1_000_000 }),
  assetCacheVersion: fc.integer({ min: 1, max: 1_000_000 }),
  htmlCacheVersion: fc.integer({ min: 1, max: 1_000_000 })
})

/** A bump by a user or a site-publish delivery; the tenant is live three times in four. */
export const bumpCacheVersionsArb = (
  tenantLive: fc.Arbitrary<boolean> = fc.constantFrom(true, true, true, false)
): fc.Arbitrary<Untimed<Command<"BumpCacheVersions">>> =>
  fc.record({ _tag: fc.constant("BumpCacheVersions" as const), target: cacheTargetArb, tenantLive })

/**
 * A cache-refresh delivery's bump: the webhook as its stream has it (or null) and the
 * digest of the secret presented, the right one half the time.
 */
export const bumpCacheVersionsForWebhookArb: fc.Arbitrary<Untimed<Command<"BumpCacheVersionsForWebhook">>> =
  fc
    .record({
      webhookId: webhookIdArb,
      target: cacheTargetArb,
      tenantLive: fc.constantFrom(true, true, true, false),
      webhook: fc.option(fc.record({ secretHash: sha256HexArb }), { nil: null, freq: 4 }),
      presented: sha256HexArb,
      right: fc.boolean()
    })
    .map(({ presented, right, ...fields }) => ({
      _tag: "BumpCacheVersionsForWebhook" as const,
      ...fields,
      presentedSecretHash: right && fields.webhook !== null ? fields.webhook.secretHash : presented
    }))

export const cacheVersionsCommandArb: fc.Arbitrary<CacheVersionsCommand> = fc.oneof(
  timed(bumpCacheVersionsArb()),
  timed(bumpCacheVersionsForWebhookArb)
)

export const cacheVersionsEventArb: fc.Arbitrary<CacheVersionsEvent> = timed(
  fc.record({
    _tag: fc.constant("CacheVersionsBumped" as const),
    target: cacheTargetArb,
    versions: cacheVersionsArb
  })
)
