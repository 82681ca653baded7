import { recordQuotaUsage } from "./analytics/quotas.ts"
import {
  readAnalytics,
  readBandwidthDaily,
  readTenantUsage,
  readUsageAcrossTenants
} from "./analytics/readAnalytics.ts"
import { cachelyCheck } from "./checks/cachelyCheck.ts"
import { websiteImplementationCheck } from "./checks/websiteImplementationCheck.ts"
import {
  addCustomDomain,
  listCustomDomains,
  recheckCustomDomain,
  removeCustomDomain,
  verifyCustomDomain
} from "./customDomains/customDomains.ts"
import { requestLogs } from "./logs/readRequestLogs.ts"
import { acceptInvite } from "./members/acceptInvite.ts"
import { inviteMember } from "./members/inviteMember.ts"
import { listMembers } from "./members/listMembers.ts"
import { changeMemberRole, removeMember, revokeInvite } from "./members/manageMembers.ts"
import { saveApiConfig, saveApiToken } from "./tenants/apiConfig.ts"
import { auditEvents, auditHead } from "./tenants/auditEvents.ts"
import { globalAuditFeed, tenantAuditFeed } from "./tenants/auditFeed.ts"
import { createTenant } from "./tenants/createTenant.ts"
import { deleteTenant } from "./tenants/deleteTenant.ts"
import { getTenant, listTenants, slugAvailability } from "./tenants/readTenants.ts"
import { refreshCache } from "./tenants/refreshCache.ts"
import { resyncEdgeConfig } from "./tenants/resyncEdgeConfig.ts"
import { tenantAsOf } from "./tenants/tenantAsOf.ts"
import { updateTenant } from "./tenants/updateTenant.ts"
import {
  cacheRefreshWebhookEvents,
  createCacheRefreshWebhook,
  deleteCacheRefreshWebhook,
  listCacheRefreshWebhooks,
  regenerateCacheRefreshWebhook
} from "./webhooks/cacheRefreshWebhooks.ts"
import { ensureWebhookSecret, rotateWebhookSecret } from "./webhooks/siteWebhookSecret.ts"

/**
 * Every use case a principal can ask for, each with its one policy (`.policy`): the
 * application's authorization table, read by the authorization tests and the docs. The
 * public webhook receivers are not here: they take no principal, they authenticate a
 * secret and act as the `Webhook`/`SitePublish` principal it names.
 */
export const tenantUseCases = {
  getTenant,
  tenantAsOf,
  updateTenant,
  deleteTenant,
  refreshCache,
  resyncEdgeConfig,
  auditEvents,
  auditHead,
  tenantAuditFeed,
  saveApiConfig,
  saveApiToken,
  listMembers,
  inviteMember,
  removeMember,
  revokeInvite,
  changeMemberRole,
  ensureWebhookSecret,
  rotateWebhookSecret,
  listCacheRefreshWebhooks,
  createCacheRefreshWebhook,
  regenerateCacheRefreshWebhook,
  deleteCacheRefreshWebhook,
  cacheRefreshWebhookEvents,
  listCustomDomains,
  addCustomDomain,
  verifyCustomDomain,
  removeCustomDomain,
  recheckCustomDomain,
  readAnalytics,
  readBandwidthDaily,
  readTenantUsage,
  recordQuotaUsage,
  cachelyCheck,
  websiteImplementationCheck,
  requestLogs
}

export const userUseCases = {
  listTenants,
  createTenant,
  slugAvailability,
  acceptInvite,
  readUsageAcrossTenants,
  globalAuditFeed
}
