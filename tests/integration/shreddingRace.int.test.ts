import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { coreLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { Principal } from "../../application/auth/principal.ts"
import type { RequestContext } from "../../application/context.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { SecretBox } from "../../application/ports/SecretBox.ts"
import { tenantUseCases, userUseCases } from "../../application/useCases.ts"
import type { UserId } from "../../domain/shared/ids.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { freshLogsDatabase } from "../support/logsDatabases.ts"

/**
 * A command that needs the tenant's data key, racing the tenant's deletion: its access was
 * checked while the tenant was live, then the deletion committed (shredding the key) before
 * it sealed. The caller is told the tenant is gone (404 `tenant_not_found`; an invite being
 * accepted, `invite_not_found`), as the command itself would have found, never a 500, and
 * nothing is appended after the deletion.
 */
const settings = async () =>
  settingsFromEnv({ DATA_DIR: await mkdtemp(join(tmpdir(), "tenantry-shred-race-")), PORT: "0" })

const userContext = (name: string): RequestContext => ({
  principal: Principal.user(`user_shred_${name}` as UserId, {
    email: `${name}@example.com`,
    masterAdmin: false
  }),
  requestId: "req_shred_race"
})
const owner = userContext("owner")

for (const target of databaseTargets) {
  const services = Layer.unwrap(
    Effect.promise(settings).pipe(
      Effect.map((s) => coreLayer(s, SqlStorage.layerOn(target.layer()), freshLogsDatabase(target.name)))
    )
  )

  layer(services, { excludeTestServices: true, timeout: 120_000 })(
    `Sealing that races a deletion (${target.name})`,
    (it) => {
      const newTenant = Effect.gen(function* () {
        const slug = `shred-${Math.random().toString(36).slice(2, 10)}` as Slug
        yield* userUseCases.createTenant(owner, {
          slug,
          cms: { cms: "generic", apiOrigin: "https://api.example.com" }
        })
        return slug
      })

      /**
       * Runs `run` with the real SecretBox, except that its first use of the key lets the
       * tenant's deletion commit first; answers how `run` ended, and whether anything was
       * appended after the deletion.
       */
      const racingTheDeletion = <A, E, R>(slug: Slug, run: Effect.Effect<A, E, R>) =>
        Effect.gen(function* () {
          const box = yield* SecretBox
          const store = yield* EventStore
          const deletion = tenantUseCases.deleteTenant(owner, slug).pipe(Effect.orDie)
          const services = yield* Effect.context<Effect.Services<typeof deletion>>()
          let headAfterDeletion: bigint | number | undefined
          const deleteFirst = <B, F>(use: Effect.Effect<B, F>) =>
            Effect.suspend(() =>
              headAfterDeletion !== undefined
                ? use
                : deletion.pipe(
                    Effect.andThen(store.headPosition),
                    Effect.tap((head) => Effect.sync(() => (headAfterDeletion = head))),
                    Effect.provideContext(services),
                    Effect.andThen(use)
                  )
            )
          const racing = SecretBox.of({
            seal: (tenantId, plaintext) => deleteFirst(box.seal(tenantId, plaintext)),
            open: (tenantId, sealed) => deleteFirst(box.open(tenantId, sealed)),
            fingerprint: (tenantId, text) => deleteFirst(box.fingerprint(tenantId, text))
          })
          const failure = yield* Effect.flip(run.pipe(Effect.provideService(SecretBox, racing)))
          expect(headAfterDeletion, "the deletion ran inside the use case").toBeDefined()
          expect(yield* store.headPosition, "appended after the deletion").toBe(headAfterDeletion)
          return failure
        })

      const expectGone = (failure: unknown, tag: "TenantNotFound" | "InviteNotFound") =>
        // A failure with the tag the error map answers with 404: a defect (a die) is not one.
        expect((failure as { readonly _tag?: string })._tag).toBe(tag)

      it.effect(
        "given an admin inviting a member, when the tenant's deletion commits before the email is sealed, then the invite fails with tenant_not_found",
        () =>
          Effect.gen(function* () {
            const slug = yield* newTenant
            expectGone(
              yield* racingTheDeletion(
                slug,
                tenantUseCases.inviteMember(owner, slug, { email: "late@example.com", role: "viewer" })
              ),
              "TenantNotFound"
            )
          })
      )

      it.effect(
        "given an editor saving the API token, when the deletion commits before it is sealed, then tenant_not_found",
        () =>
          Effect.gen(function* () {
            const slug = yield* newTenant
            expectGone(
              yield* racingTheDeletion(slug, tenantUseCases.saveApiToken(owner, slug, "cf-token-123")),
              "TenantNotFound"
            )
          })
      )

      it.effect(
        "given an admin rotating the site-publish secret, when the deletion commits before it is sealed, then tenant_not_found",
        () =>
          Effect.gen(function* () {
            const slug = yield* newTenant
            expectGone(
              yield* racingTheDeletion(slug, tenantUseCases.rotateWebhookSecret(owner, slug)),
              "TenantNotFound"
            )
          })
      )

      it.effect(
        "given a user accepting an invite, when the tenant's deletion commits before their email is fingerprinted, then invite_not_found",
        () =>
          Effect.gen(function* () {
            const slug = yield* newTenant
            const invite = yield* tenantUseCases.inviteMember(owner, slug, {
              email: "joiner@example.com",
              role: "viewer"
            })
            const joiner = userContext("joiner")
            expectGone(
              yield* racingTheDeletion(slug, userUseCases.acceptInvite(joiner, { token: invite.token })),
              "InviteNotFound"
            )
          })
      )
    }
  )
}
