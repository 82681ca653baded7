import {
  type DomainEvent,
  decodeEvent,
  eventData,
  isDomainEventType,
  sealedFieldsOf
} from "../events/catalog.ts"
import type { Actor, RecordedEvent } from "../ports/EventStore.ts"

/** One line of a tenant's audit history, served straight from the log. */
export interface AuditEntry {
  readonly id: number
  readonly type: string
  readonly occurredAt: string
  readonly actor: Actor
  readonly requestId: string | null
  readonly summary: string
  readonly data: Record<string, unknown>
  /** The event's stream and its link in that stream's hash chain (application/audit/chain.ts). */
  readonly stream: string
  readonly hash: string
  readonly prevHash: string
}

// Defence in depth: besides the fields each event declares sealed, anything named like
// a secret is dropped, so a future event cannot leak one by forgetting to declare it.
const secretLike = /secret|token|hash|password|sealed|ciphertext/i

/** Whether audit output (the API, the feeds, exports) leaves this data field of `type` out. */
export const isRedacted = (type: string, key: string) =>
  sealedFieldsOf(type).includes(key) || secretLike.test(key)

const redact = (type: string, data: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(data).filter(([key]) => !isRedacted(type, key)))

const summarize = (event: DomainEvent): string => {
  switch (event._tag) {
    case "TenantCreated":
      return `Tenant "${event.slug}" created (${event.cms.cms})`
    case "TenantConfigUpdated":
      return `Configuration updated: ${Object.keys(event.changes).join(", ")}`
    case "CacheVersionsBumped": {
      const { apiCacheVersion, assetCacheVersion, htmlCacheVersion } = event.versions
      const bumped = {
        api: `API cache version bumped to ${apiCacheVersion}`,
        assets: `Asset cache version bumped to ${assetCacheVersion}`,
        html: `HTML cache version bumped to ${htmlCacheVersion}`
      }
      return event.target === "all"
        ? `All cache versions bumped (api ${apiCacheVersion}, assets ${assetCacheVersion}, html ${htmlCacheVersion})`
        : bumped[event.target]
    }
    case "ApiConfigSaved":
      return `API proxy configuration saved (origin ${event.apiConfig.apiOrigin}, auth ${event.apiConfig.apiAuthMode})`
    case "ApiTokenSaved":
      return "API token replaced"
    case "TenantDeleted":
      return `Tenant "${event.slug}" deleted`
    // Emails are sealed in the log, so membership lines name users by id and invites by number.
    case "MemberInvited":
      return `Invite #${event.inviteId} sent (role ${event.role})`
    case "InviteRefreshed":
      return `Invite #${event.inviteId} refreshed (role ${event.role})`
    case "InviteRevoked":
      return `Invite #${event.inviteId} revoked`
    case "InviteAccepted":
      return `${event.userId} joined as ${event.role} (invite #${event.inviteId})`
    case "MemberRoleChanged":
      return `${event.userId}'s role changed from ${event.previousRole} to ${event.role}`
    case "MemberRemoved":
      return `${event.userId} (${event.role}) removed`
    case "WebhookSecretGenerated":
      return "Site-publish webhook secret generated"
    case "WebhookSecretRotated":
      return "Site-publish webhook secret rotated"
    case "CacheRefreshWebhookCreated":
      return `Cache-refresh webhook ${event.webhookId} created (${event.provider})`
    case "CacheRefreshWebhookRegenerated":
      return `Cache-refresh webhook ${event.webhookId} secret regenerated`
    case "CacheRefreshWebhookDeleted":
      return `Cache-refresh webhook ${event.webhookId} deleted`
    case "CustomDomainAdded":
      return `Custom domain ${event.hostname} added (pending DNS verification)`
    case "CustomDomainOwnershipVerified":
      return `Custom domain ${event.hostname}: ownership verified`
    case "CustomDomainActivated":
      return `Custom domain ${event.hostname} active`
    case "CustomDomainMisconfigured":
      return `Custom domain ${event.hostname} misconfigured: ${event.reasons.join("; ")}`
    case "CustomDomainExpired":
      return `Custom domain ${event.hostname} expired (not verified in time)`
    case "CustomDomainReopened":
      return `Custom domain ${event.hostname} pending again (verification restarted)`
    case "CustomDomainRemoved":
      return `Custom domain ${event.hostname} removed`
    case "QuotaThresholdReached":
      return `${event.threshold} % of the monthly ${event.metric === "requests" ? "request" : "bandwidth"} limit reached in ${event.month} (${event.used} of ${event.limit})`
  }
}

export const toAuditEntry = (stored: RecordedEvent): AuditEntry => {
  const base = {
    id: stored.position,
    type: stored.type,
    occurredAt: stored.recordedAt,
    actor: stored.metadata.actor,
    requestId: stored.metadata.requestId ?? null,
    stream: stored.streamId,
    hash: stored.hash,
    prevHash: stored.prevHash
  }
  if (!isDomainEventType(stored.type)) {
    return { ...base, summary: stored.type, data: {} }
  }
  return { ...base, summary: summarize(decodeEvent(stored)), data: redact(stored.type, eventData(stored)) }
}
