import { Effect } from "effect"
import type { TenantState } from "../../domain/tenant/index.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { WebhookSecrets } from "../ports/WebhookStore.ts"
import { now, type RequestContext } from "../tenants/context.ts"
import { runTenantCommand } from "../tenants/runTenantCommand.ts"

const sealedOf = (state: TenantState) => (state.status === "active" ? state.webhookSecret : undefined)

/**
 * The site-publish secret (`POST …/webhook-secret`): generated on first call, the same
 * one afterwards. It is sealed under the tenant's data key so it can be shown again.
 */
export const ensureWebhookSecret = Effect.fn("ensureWebhookSecret")(function* (
  context: RequestContext,
  tenantId: string
) {
  const box = yield* SecretBox
  const secrets = yield* WebhookSecrets
  const at = yield* now
  const handled = yield* runTenantCommand(context, tenantId, (state) =>
    sealedOf(state) !== undefined
      ? Effect.succeed({ _tag: "GenerateWebhookSecret" as const, sealedSecret: sealedOf(state)!, at })
      : Effect.map(box.seal(tenantId, secrets.generate("whs_")).pipe(Effect.orDie), (sealedSecret) => ({
          _tag: "GenerateWebhookSecret" as const,
          sealedSecret,
          at
        }))
  )
  const sealed = sealedOf(handled.state)
  if (sealed === undefined) return yield* Effect.die(new Error("webhook secret missing after generation"))
  return { secret: yield* box.open(tenantId, sealed).pipe(Effect.orDie) }
})

/** `PUT …/webhook-secret`: a new secret; the old one fails from the moment this returns. */
export const rotateWebhookSecret = Effect.fn("rotateWebhookSecret")(function* (
  context: RequestContext,
  tenantId: string
) {
  const box = yield* SecretBox
  const secrets = yield* WebhookSecrets
  const secret = secrets.generate("whs_")
  const sealedSecret = yield* box.seal(tenantId, secret).pipe(Effect.orDie)
  const at = yield* now
  yield* runTenantCommand(context, tenantId, () =>
    Effect.succeed({ _tag: "RotateWebhookSecret" as const, sealedSecret, at })
  )
  return { secret }
})
