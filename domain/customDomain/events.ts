import { Schema } from "effect"
import type { EventCatalog } from "../shared/aggregate.ts"
import { Instant, TenantId } from "../shared/ids.ts"

/** `dom_…` ids of custom domain records; a hostname added again gets a new id. */
export const DomainId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^dom_[a-z0-9]{8,64}$/)),
  Schema.brand("DomainId")
)
export type DomainId = typeof DomainId.Type

/** Every event names the domain it is about; `tenantId` is the stored event's envelope. */
const about = { tenantId: TenantId, domainId: DomainId, hostname: Schema.String, at: Instant }

/** A tenant claimed the hostname; ownership is proven by a TXT record holding `cachely-verify={token}`. */
export const CustomDomainAdded = Schema.TaggedStruct("CustomDomainAdded", {
  ...about,
  token: Schema.String
})
/** The TXT record was found: ownership stays proven for the life of the record. */
export const CustomDomainOwnershipVerified = Schema.TaggedStruct("CustomDomainOwnershipVerified", about)
/** Ownership proven and routing correct: the edge routes it. */
export const CustomDomainActivated = Schema.TaggedStruct("CustomDomainActivated", about)
/** Ownership proven, routing wrong or gone (for an active domain: twice in a row). */
export const CustomDomainMisconfigured = Schema.TaggedStruct("CustomDomainMisconfigured", {
  ...about,
  reasons: Schema.Array(Schema.String)
})
/** Pending longer than the pending TTL: background checks stop. */
export const CustomDomainExpired = Schema.TaggedStruct("CustomDomainExpired", about)
/** A verify call on an expired domain: pending again, its TTL starting over. */
export const CustomDomainReopened = Schema.TaggedStruct("CustomDomainReopened", about)
/** The tenant removed it: the hostname is free again. */
export const CustomDomainRemoved = Schema.TaggedStruct("CustomDomainRemoved", about)

export const CustomDomainEvent = Schema.Union([
  CustomDomainAdded,
  CustomDomainOwnershipVerified,
  CustomDomainActivated,
  CustomDomainMisconfigured,
  CustomDomainExpired,
  CustomDomainReopened,
  CustomDomainRemoved
])
export type CustomDomainEvent = typeof CustomDomainEvent.Type

export const customDomainEvents: EventCatalog<CustomDomainEvent> = {
  schema: CustomDomainEvent,
  schemaVersions: {
    CustomDomainAdded: 1,
    CustomDomainOwnershipVerified: 1,
    CustomDomainActivated: 1,
    CustomDomainMisconfigured: 1,
    CustomDomainExpired: 1,
    CustomDomainReopened: 1,
    CustomDomainRemoved: 1
  },
  upcasters: {},
  sealedFields: {}
}

/** Fields of these events kept in the stored event's envelope rather than its data. */
export const customDomainEnvelopeFields = ["tenantId"] as const
