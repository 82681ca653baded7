import { Schema } from "effect"
import {
  type CacheVersionsCommand,
  type CacheVersionsError,
  type CacheVersionsEvent,
  type CacheVersionsState,
  cacheVersionsDecider,
  cacheVersionsStateVersion
} from "../domain/cacheVersions/index.ts"
import {
  type CustomDomainCommand,
  type CustomDomainError,
  type CustomDomainEvent,
  type CustomDomainState,
  customDomainDecider,
  customDomainStateVersion
} from "../domain/customDomain/index.ts"
import {
  type MembershipCommand,
  type MembershipError,
  type MembershipEvent,
  MembershipState,
  membershipDecider,
  membershipStateVersion
} from "../domain/membership/index.ts"
import {
  type QuotaCommand,
  type QuotaError,
  type QuotaEvent,
  type QuotaState,
  quotaDecider,
  quotaStateVersion
} from "../domain/quota/index.ts"
import {
  type TenantCommand,
  type TenantError,
  type TenantEvent,
  type TenantState,
  tenantDecider,
  tenantStateVersion
} from "../domain/tenant/index.ts"
import {
  type WebhookCommand,
  type WebhookError,
  type WebhookEvent,
  type WebhookState,
  webhookDecider,
  webhookStateVersion
} from "../domain/webhook/index.ts"
import {
  cacheVersionsCodec,
  customDomainCodec,
  membershipCodec,
  quotaCodec,
  tenantCodec,
  webhookCodec
} from "./events/catalog.ts"
import type { Aggregate } from "./handleCommand.ts"

/**
 * Every aggregate the command handler runs, one stream each (see the domain's
 * `…Stream(id)`): how its state is loaded and snapshotted.
 */
export const tenantAggregate: Aggregate<TenantCommand, TenantEvent, TenantState, TenantError> = {
  name: "tenant",
  decider: tenantDecider,
  codec: tenantCodec,
  load: "fold",
  stateVersion: tenantStateVersion,
  snapshotEvery: 100
}

/** Bumps carry the absolute versions: the last event is the state, so no snapshots. */
export const cacheVersionsAggregate: Aggregate<
  CacheVersionsCommand,
  CacheVersionsEvent,
  CacheVersionsState,
  CacheVersionsError
> = {
  name: "cacheVersions",
  decider: cacheVersionsDecider,
  codec: cacheVersionsCodec,
  load: "lastEvent",
  stateVersion: cacheVersionsStateVersion,
  snapshotEvery: Number.POSITIVE_INFINITY
}

const membershipJson = Schema.toCodecJson(MembershipState)

/** Its state holds Maps: snapshots go through the schema's JSON form. */
export const membershipAggregate: Aggregate<
  MembershipCommand,
  MembershipEvent,
  MembershipState,
  MembershipError
> = {
  name: "membership",
  decider: membershipDecider,
  codec: membershipCodec,
  load: "fold",
  stateVersion: membershipStateVersion,
  snapshotEvery: 100,
  snapshot: {
    encode: Schema.encodeSync(membershipJson),
    decode: Schema.decodeUnknownSync(membershipJson)
  }
}

export const webhookAggregate: Aggregate<WebhookCommand, WebhookEvent, WebhookState, WebhookError> = {
  name: "webhook",
  decider: webhookDecider,
  codec: webhookCodec,
  load: "fold",
  stateVersion: webhookStateVersion,
  snapshotEvery: 100
}

/** One hostname's stream: its claim and status (only transitions are events, so it stays short). */
export const customDomainAggregate: Aggregate<
  CustomDomainCommand,
  CustomDomainEvent,
  CustomDomainState,
  CustomDomainError
> = {
  name: "customDomain",
  decider: customDomainDecider,
  codec: customDomainCodec,
  load: "fold",
  stateVersion: customDomainStateVersion,
  snapshotEvery: 100
}

/** Quota crossings: at most four a month, folded (snapshots every 100). */
export const quotaAggregate: Aggregate<QuotaCommand, QuotaEvent, QuotaState, QuotaError> = {
  name: "quota",
  decider: quotaDecider,
  codec: quotaCodec,
  load: "fold",
  stateVersion: quotaStateVersion,
  snapshotEvery: 100
}
