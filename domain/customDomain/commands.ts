import { Schema } from "effect"
import { Instant, TenantId } from "../shared/ids.ts"
import { DomainId } from "./events.ts"

/**
 * Imperatives against one hostname's stream (`custom-domain-{hostname}`). Facts from other
 * streams come in the command, read through the command handler (so the append is guarded
 * on them): `tenantLive` (the adding tenant's stream) and `holderLive` (the stream of the
 * tenant holding the hostname now, when another one does).
 */
export const AddCustomDomain = Schema.TaggedStruct("AddCustomDomain", {
  tenantId: TenantId,
  tenantLive: Schema.Boolean,
  holderLive: Schema.Boolean,
  domainId: DomainId,
  hostname: Schema.String,
  token: Schema.String,
  at: Instant
})

/** What one DNS check found (see checks.ts), and the facts the rules need around it. */
export const CheckCustomDomain = Schema.TaggedStruct("CheckCustomDomain", {
  tenantId: TenantId,
  hostname: Schema.String,
  ownership: Schema.Literals(["found", "missing", "unknown"]),
  routing: Schema.Literals(["ok", "wrong", "unknown"]),
  reasons: Schema.Array(Schema.String),
  /** Routing misses in a row before this check (an active domain turns misconfigured at the second). */
  routingMisses: Schema.Number,
  /** A person asked (a verify call): it may bring an expired domain back to pending. */
  manual: Schema.Boolean,
  pendingTtlHours: Schema.Number,
  at: Instant
})

export const RemoveCustomDomain = Schema.TaggedStruct("RemoveCustomDomain", {
  tenantId: TenantId,
  hostname: Schema.String,
  at: Instant
})

export const CustomDomainCommand = Schema.Union([AddCustomDomain, CheckCustomDomain, RemoveCustomDomain])
export type CustomDomainCommand = typeof CustomDomainCommand.Type
