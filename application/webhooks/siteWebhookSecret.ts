import { Effect } from "effect"
import { type TenantState, tenantStream } from "../../domain/tenant/index.ts"
import { tenantAggregate } from "../aggregates.ts"
import { now } from "../context.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { WebhookSecrets } from "../ports/WebhookStore.ts"
import { runCommand } from "../runCommand.ts"
import { orTenantGone } from "../tenants/tenantGone.ts"
import { tenantUseCase } from "../useCase.ts"

const sealedOf = (state: TenantState) => (state.status === "active" ? state.webhookSecret : null)

/**
 * The site-publish secret (`POST …/webhook-secret`): generated on first call, the same
 * one afterwards. It is sealed under the tenant's data key so it can be shown again.
 */
export const ensureWebhookSecret = tenantUseCase("ensureWebhookSecret", "editor", (context, access) =>
  Effect.gen(function* () {
    const { tenantId } = access.tenant
    const box = yield* SecretBox
    const secrets = yield* WebhookSecrets
    const at = yield* now
    const handled = yield* runCommand(
      tenantAggregate,
      { streamId: tenantStream(tenantId), tenantId },
      context,
      (state) => {
        const existing = sealedOf(state)
        return existing !== null
          ? Effect.succeed({ _tag: "GenerateWebhookSecret" as const, sealedSecret: existing, at })
          : Effect.map(orTenantGone(box.seal(tenantId, secrets.generate("whs_"))), (sealedSecret) => ({
              _tag: "GenerateWebhookSecret" as const,
              sealedSecret,
              at
            }))
      }
    )
    const sealed = sealedOf(handled.state)
    if (sealed === null) return yield* Effect.die(new Error("webhook secret missing after generation"))
    return { secret: yield* orTenantGone(box.open(tenantId, sealed)) }
  })
)

/** `PUT …/webhook-secret`: a new secret; the old one fails from the moment this returns. */
export const rotateWebhookSecret = tenantUseCase("rotateWebhookSecret", "admin", (context, access) =>
  Effect.gen(function* () {
    const { tenantId } = access.tenant
    const box = yield* SecretBox
    const secrets = yield* WebhookSecrets
    const secret = secrets.generate("whs_")
    const sealedSecret = yield* orTenantGone(box.seal(tenantId, secret))
    const at = yield* now
    yield* runCommand(tenantAggregate, { streamId: tenantStream(tenantId), tenantId }, context, () =>
      Effect.succeed({ _tag: "RotateWebhookSecret" as const, sealedSecret, at })
    )
    return { secret }
  })
)
