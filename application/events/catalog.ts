import { type CacheVersionsEvent, cacheVersionsEvents } from "../../domain/cacheVersions/index.ts"
import {
  type CustomDomainEvent,
  customDomainEnvelopeFields,
  customDomainEvents
} from "../../domain/customDomain/index.ts"
import { type MembershipEvent, membershipEvents } from "../../domain/membership/index.ts"
import { type QuotaEvent, quotaEvents } from "../../domain/quota/index.ts"
import { type TenantEvent, tenantEvents } from "../../domain/tenant/index.ts"
import { type WebhookEvent, webhookEnvelopeFields, webhookEvents } from "../../domain/webhook/index.ts"
import type { RecordedEvent } from "../ports/EventStore.ts"
import { type EventCodec, eventCodec } from "./codec.ts"

/** Every event the log holds, whichever aggregate's stream it is in. */
export type DomainEvent =
  | TenantEvent
  | CacheVersionsEvent
  | MembershipEvent
  | WebhookEvent
  | CustomDomainEvent
  | QuotaEvent
export type DomainEventType = DomainEvent["_tag"]

export const tenantCodec = eventCodec(tenantEvents)
export const cacheVersionsCodec = eventCodec(cacheVersionsEvents)
export const membershipCodec = eventCodec(membershipEvents)
export const webhookCodec = eventCodec(webhookEvents, webhookEnvelopeFields)
export const customDomainCodec = eventCodec(customDomainEvents, customDomainEnvelopeFields)
export const quotaCodec = eventCodec(quotaEvents)

const codecs = [
  tenantCodec,
  cacheVersionsCodec,
  membershipCodec,
  webhookCodec,
  customDomainCodec,
  quotaCodec
] as unknown as ReadonlyArray<EventCodec<{ readonly _tag: string }>>

const byType = new Map<string, EventCodec<{ readonly _tag: string }>>()
for (const codec of codecs) {
  for (const type of Object.keys(codec.catalog.schemaVersions)) byType.set(type, codec)
}

export const isDomainEventType = (type: string): type is DomainEventType => byType.has(type)

const codecOf = (type: string) => {
  const codec = byType.get(type)
  if (codec === undefined) throw new Error(`Unknown event type ${type}`)
  return codec
}

type Stored = Pick<RecordedEvent, "type" | "schemaVersion" | "data" | "tenantId">

/** Any stored event as its domain event, for readers of the whole log (projections, audit). */
export const decodeEvent = (stored: Stored): DomainEvent => codecOf(stored.type).decode(stored) as DomainEvent

export const decodeEventStrict = (stored: Stored): DomainEvent =>
  codecOf(stored.type).decodeStrict(stored) as DomainEvent

/** The stored data lifted to the current shape (no envelope fields): what audit output shows. */
export const eventData = (stored: Stored) => codecOf(stored.type).data(stored)

/** Fields of `type` that hold sealed secrets: never shown in audit output. */
export const sealedFieldsOf = (type: string): ReadonlyArray<string> =>
  (byType.get(type)?.catalog.sealedFields as Partial<Record<string, ReadonlyArray<string>>> | undefined)?.[
    type
  ] ?? []

/** A set of event types, for projections declaring what they handle. */
export const typesOf = (...types: ReadonlyArray<DomainEventType>): ReadonlySet<string> => new Set(types)
