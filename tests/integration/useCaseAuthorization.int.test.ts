import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { coreLayer } from "../../adapters/runtime/appLayer.ts"
import { settingsFromEnv } from "../../adapters/runtime/settings.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import type { TenantRolePolicy } from "../../application/auth/policies.ts"
import { Principal } from "../../application/auth/principal.ts"
import type { RequestContext } from "../../application/context.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { tenantUseCases, userUseCases } from "../../application/useCases.ts"
import type { TenantId, UserId, WebhookId } from "../../domain/shared/ids.ts"
import { hasRole, type Role } from "../../domain/shared/roles.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { databaseTargets } from "../support/databases.ts"
import { freshLogsDatabase } from "../support/logsDatabases.ts"

/**
 * The application's own authorization table, without HTTP: every use case, called
 * directly by every kind of principal (users by role, master admins, a webhook delivery,
 * a site-publish delivery, Tenantry itself). Each use case checks its one policy before
 * anything else, so a caller that is refused changes nothing, however it got there.
 * (tests/e2e/authorizationMatrix.e2e.test.ts holds the same rules end to end over HTTP.)
 */

const users = ["nonMember", "viewer", "editor", "admin", "owner", "masterAdmin"] as const
type UserKind = (typeof users)[number]
const others = ["webhook", "sitePublish", "system"] as const
type OtherKind = (typeof others)[number]

const userIdOf = (kind: UserKind) => `user_authz_${kind}` as UserId

const settings = async () =>
  settingsFromEnv({ DATA_DIR: await mkdtemp(join(tmpdir(), "tenantry-authz-")), PORT: "0" })

/** What `kind` gets from a use case with `policy`: allowed, or the refusal's tag. */
const expectedFor = (
  kind: UserKind | OtherKind,
  policy: TenantRolePolicy | { readonly _tag: "signedIn" }
) => {
  if (kind === "webhook" || kind === "sitePublish") return "PrincipalNotAllowed"
  if (kind === "system")
    return policy._tag === "tenantRole" && policy.allowSystem ? "allowed" : "PrincipalNotAllowed"
  if (policy._tag === "signedIn" || kind === "masterAdmin") return "allowed"
  if (kind === "nonMember") return "NotAMember"
  return hasRole(kind as Role, policy.role) ? "allowed" : "RoleTooLow"
}

for (const target of databaseTargets) {
  const services = Layer.unwrap(
    Effect.promise(settings).pipe(
      Effect.map((s) => coreLayer(s, SqlStorage.layerOn(target.layer()), freshLogsDatabase(target.name)))
    )
  )

  layer(services, { excludeTestServices: true, timeout: 120_000 })(
    `Use-case authorization (${target.name})`,
    (it) => {
      const context = (principal: Principal): RequestContext => ({ principal, requestId: "req_authz" })
      const userContext = (kind: UserKind) =>
        context(
          Principal.user(userIdOf(kind), {
            email: `${kind}@example.com`,
            masterAdmin: kind === "masterAdmin"
          })
        )

      /** A tenant owned by `owner`, with a viewer, an editor and an admin who joined by invite. */
      const staffedTenant = Effect.gen(function* () {
        const slug = `authz-${Math.random().toString(36).slice(2, 10)}` as Slug
        const created = yield* userUseCases.createTenant(userContext("owner"), {
          slug,
          cms: { cms: "generic", apiOrigin: "https://api.example.com" }
        })
        for (const role of ["viewer", "editor", "admin"] as const) {
          const invite = yield* tenantUseCases.inviteMember(userContext("owner"), slug, {
            email: `${role}@example.com`,
            role
          })
          yield* userUseCases.acceptInvite(userContext(role), { token: invite.token })
        }
        return { slug, tenantId: created.tenantId as TenantId }
      })

      const otherContext = (kind: OtherKind, tenantId: TenantId) =>
        context(
          kind === "webhook"
            ? Principal.webhook("whk_authz0000" as WebhookId, tenantId)
            : kind === "sitePublish"
              ? Principal.sitePublish(tenantId)
              : Principal.system("authz-test")
        )

      it.effect(
        "given every tenant use case and every kind of principal, then each is allowed or refused by the use case's own policy, and a refusal appends nothing",
        () =>
          Effect.gen(function* () {
            const store = yield* EventStore
            const { slug, tenantId } = yield* staffedTenant
            for (const [name, useCase] of Object.entries(tenantUseCases)) {
              const policy = useCase.policy as TenantRolePolicy
              for (const kind of [...users, ...others]) {
                const expected = expectedFor(kind, policy)
                const caller = (users as ReadonlyArray<string>).includes(kind)
                  ? userContext(kind as UserKind)
                  : otherContext(kind as OtherKind, tenantId)
                if (expected === "allowed") continue
                const head = yield* store.headPosition
                // The arguments do not matter: a refused caller never reaches the use case's body.
                const run = useCase as unknown as (
                  c: RequestContext,
                  s: string
                ) => Effect.Effect<unknown, { _tag: string }>
                const refusal = yield* Effect.flip(run(caller, slug))
                expect(refusal._tag, `${name} as ${kind}`).toBe(expected)
                expect(yield* store.headPosition, `${name} as ${kind} appended`).toBe(head)
              }
            }
          }),
        120_000
      )

      it.effect(
        "given the roles a use case's policy names, then exactly the principals at or above them are let through (master admins always, the system never unless named)",
        () =>
          Effect.gen(function* () {
            const allowedRows = Object.entries(tenantUseCases).map(([name, useCase]) => [
              name,
              (useCase.policy as TenantRolePolicy).role,
              [...users, ...others].filter(
                (kind) => expectedFor(kind, useCase.policy as TenantRolePolicy) === "allowed"
              )
            ])
            // The table itself, so a change of policy shows here as a change of this list.
            expect(Object.fromEntries(allowedRows.map(([name, role]) => [name, role]))).toEqual({
              getTenant: "viewer",
              tenantAsOf: "viewer",
              updateTenant: "editor",
              deleteTenant: "owner",
              refreshCache: "editor",
              resyncEdgeConfig: "editor",
              auditEvents: "viewer",
              auditHead: "viewer",
              tenantAuditFeed: "viewer",
              saveApiConfig: "editor",
              saveApiToken: "editor",
              listMembers: "viewer",
              inviteMember: "admin",
              removeMember: "admin",
              revokeInvite: "admin",
              changeMemberRole: "admin",
              ensureWebhookSecret: "editor",
              rotateWebhookSecret: "admin",
              listCacheRefreshWebhooks: "editor",
              createCacheRefreshWebhook: "admin",
              regenerateCacheRefreshWebhook: "admin",
              deleteCacheRefreshWebhook: "admin",
              cacheRefreshWebhookEvents: "editor",
              readAnalytics: "viewer",
              readBandwidthDaily: "viewer",
              readTenantUsage: "viewer",
              recordQuotaUsage: "owner",
              listCustomDomains: "viewer",
              addCustomDomain: "editor",
              verifyCustomDomain: "editor",
              removeCustomDomain: "editor",
              // The scheduler's re-check: editors (as verify) and the system.
              recheckCustomDomain: "editor",
              requestLogs: "viewer",
              cachelyCheck: "viewer",
              websiteImplementationCheck: "viewer"
            })
            const { slug } = yield* staffedTenant
            // Allowed users do get through the policy: reading the tenant works for every member.
            for (const kind of ["viewer", "editor", "admin", "owner", "masterAdmin"] as const) {
              const view = yield* tenantUseCases.getTenant(userContext(kind), slug)
              expect(view.slug).toBe(slug)
            }
          })
      )

      it.effect("given the user use cases, then any signed-in user may run them and no other principal", () =>
        Effect.gen(function* () {
          const { tenantId } = yield* staffedTenant
          for (const [name, useCase] of Object.entries(userUseCases)) {
            for (const kind of others) {
              const run = useCase as unknown as (
                c: RequestContext
              ) => Effect.Effect<unknown, { _tag: string }>
              const refusal = yield* Effect.flip(run(otherContext(kind, tenantId)))
              expect(refusal._tag, `${name} as ${kind}`).toBe("PrincipalNotAllowed")
            }
          }
          const listed = yield* userUseCases.listTenants(userContext("nonMember"))
          expect(listed).toEqual([])
        })
      )
    }
  )
}
