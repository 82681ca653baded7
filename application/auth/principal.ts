import { Effect } from "effect"
import type { TenantId, UserId, WebhookId } from "../../domain/shared/ids.ts"
import { Config } from "../config.ts"
import type { Actor } from "../ports/EventStore.ts"
import type { Session } from "../ports/Sessions.ts"

/**
 * Who is asking. Every use case takes one and authorizes it with its policy before
 * anything else, whoever calls it (HTTP, CLI, a scheduler): the HTTP layer authenticates,
 * the application decides.
 * - `User`: a signed-in person; master admins pass every tenant check.
 * - `Webhook`: a cache-refresh delivery that presented its webhook's secret.
 * - `SitePublish`: a site-publish delivery that presented its tenant's secret.
 * - `System`: Tenantry itself (schedulers, operators' jobs).
 */
export type Principal =
  | {
      readonly _tag: "User"
      readonly userId: UserId
      readonly email: string | undefined
      readonly masterAdmin: boolean
    }
  | { readonly _tag: "Webhook"; readonly webhookId: WebhookId; readonly tenantId: TenantId }
  | { readonly _tag: "SitePublish"; readonly tenantId: TenantId }
  | { readonly _tag: "System"; readonly name: string }

export type UserPrincipal = Extract<Principal, { readonly _tag: "User" }>

export const Principal = {
  user: (userId: UserId, options: { email?: string | undefined; masterAdmin?: boolean } = {}): Principal => ({
    _tag: "User",
    userId,
    email: options.email,
    masterAdmin: options.masterAdmin ?? false
  }),
  webhook: (webhookId: WebhookId, tenantId: TenantId): Principal => ({
    _tag: "Webhook",
    webhookId,
    tenantId
  }),
  sitePublish: (tenantId: TenantId): Principal => ({ _tag: "SitePublish", tenantId }),
  system: (name: string): Principal => ({ _tag: "System", name })
}

/** A signed-in session as a principal: master admins are named by the configuration. */
export const principalOfSession = (session: Session) =>
  Effect.map(Effect.service(Config), (config) =>
    Principal.user(session.userId as UserId, {
      email: session.email,
      masterAdmin: config.masterAdminUserIds.has(session.userId)
    })
  )

/** The principal as the audit history names it: the actor in every event's metadata. */
export const actorOf = (principal: Principal): Actor => {
  switch (principal._tag) {
    case "User":
      return { type: "user", id: principal.userId }
    case "Webhook":
      return { type: "webhook", id: principal.webhookId }
    case "SitePublish":
      return { type: "webhook", id: "site-publish" }
    case "System":
      return { type: "system", id: principal.name }
  }
}
