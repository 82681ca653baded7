import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import fc from "fast-check"
import {
  cacheVersionsCodec,
  decodeEvent,
  decodeEventStrict,
  membershipCodec,
  quotaCodec,
  tenantCodec,
  webhookCodec
} from "../../application/events/catalog.ts"
import type { EventCodec } from "../../application/events/codec.ts"
import { CacheVersionsCommand, CacheVersionsEvent } from "../../domain/cacheVersions/index.ts"
import { MembershipCommand, MembershipEvent } from "../../domain/membership/index.ts"
import { QuotaCommand, QuotaEvent } from "../../domain/quota/index.ts"
import { TenantCommand, TenantEvent } from "../../domain/tenant/index.ts"
import { WebhookCommand, WebhookEvent } from "../../domain/webhook/index.ts"
import {
  cacheVersionsCommandArb,
  cacheVersionsEventArb,
  membershipCommandArb,
  membershipEventArb,
  quotaCommandArb,
  quotaEventArb,
  tenantCommandArb,
  tenantEventArb,
  webhookCommandArb,
  webhookEventArb
} from "../support/arbitraries.ts"

/**
 * The arbitraries against the domain Schemas, for every aggregate: everything generated
 * is valid (so properties built on them test rules, not validation), every command and
 * event tag is generated, and every event survives its codec and JSON (what the log
 * stores) unchanged and strictly valid.
 */

type Tagged = { readonly _tag: string }

interface Aggregate {
  readonly name: string
  readonly commandSchema: Schema.Codec<Tagged, unknown> & { readonly members: ReadonlyArray<Schema.Top> }
  readonly eventSchema: Schema.Codec<Tagged, unknown> & { readonly members: ReadonlyArray<Schema.Top> }
  readonly commands: fc.Arbitrary<Tagged>
  readonly events: fc.Arbitrary<Tagged & { readonly tenantId?: string }>
  readonly codec: EventCodec<Tagged>
}

const aggregate = <C extends Tagged, E extends Tagged>(
  name: string,
  commandSchema: Schema.Codec<C, unknown> & { readonly members: ReadonlyArray<Schema.Top> },
  eventSchema: Schema.Codec<E, unknown> & { readonly members: ReadonlyArray<Schema.Top> },
  commands: fc.Arbitrary<C>,
  events: fc.Arbitrary<E>,
  codec: EventCodec<E>
) =>
  ({
    name,
    commandSchema,
    eventSchema,
    commands,
    events,
    codec
  }) as unknown as Aggregate

const aggregates: ReadonlyArray<Aggregate> = [
  aggregate("tenant", TenantCommand, TenantEvent, tenantCommandArb, tenantEventArb, tenantCodec),
  aggregate(
    "cacheVersions",
    CacheVersionsCommand,
    CacheVersionsEvent,
    cacheVersionsCommandArb,
    cacheVersionsEventArb,
    cacheVersionsCodec
  ),
  aggregate(
    "membership",
    MembershipCommand,
    MembershipEvent,
    membershipCommandArb,
    membershipEventArb,
    membershipCodec
  ),
  aggregate("webhook", WebhookCommand, WebhookEvent, webhookCommandArb, webhookEventArb, webhookCodec),
  aggregate("quota", QuotaCommand, QuotaEvent, quotaCommandArb, quotaEventArb, quotaCodec)
]

/** The tags of a union of tagged structs, read from the schema itself. */
const tagsOf = (union: { readonly members: ReadonlyArray<Schema.Top> }): ReadonlyArray<string> =>
  union.members.map((member) => {
    const tag = (member as unknown as { fields: { _tag: Schema.Top } }).fields._tag.ast
    if (tag._tag !== "Literal") throw new Error("a union member without a literal _tag")
    return String(tag.literal)
  })

/** Every tag the arbitrary produced in `n` samples. */
const sampledTags = (arbitrary: fc.Arbitrary<Tagged>, n = 2000): ReadonlySet<string> =>
  new Set(fc.sample(arbitrary, { numRuns: n, seed: 13 }).map((value) => value._tag))

describe.each(aggregates)("$name: arbitraries and codec", (agg) => {
  it("given arbitrary commands and events, then every one decodes strictly with its domain Schema", () => {
    fc.assert(
      fc.property(agg.commands, agg.events, (command, event) => {
        expect(Schema.decodeUnknownExit(agg.commandSchema)(command)._tag).toBe("Success")
        expect(Schema.decodeUnknownExit(agg.eventSchema)(event)._tag).toBe("Success")
      }),
      { numRuns: 300 }
    )
  })

  it("given the arbitraries, then together they produce every command and every event of the aggregate", () => {
    expect([...sampledTags(agg.commands)].sort()).toEqual([...tagsOf(agg.commandSchema)].sort())
    expect([...sampledTags(agg.events)].sort()).toEqual([...tagsOf(agg.eventSchema)].sort())
    expect([...tagsOf(agg.eventSchema)].sort()).toEqual(Object.keys(agg.codec.catalog.schemaVersions).sort())
  })

  it("given any event, when encoded, stored as JSON and decoded (by its codec or the catalog), then it comes back unchanged, strictly valid", () => {
    fc.assert(
      fc.property(agg.events, fc.constantFrom("tnt_envelope0001"), (event, otherTenantId) => {
        const encoded = agg.codec.encode(event)
        expect(encoded.type).toBe(event._tag)
        expect(encoded.schemaVersion).toBe(
          (agg.codec.catalog.schemaVersions as Readonly<Record<string, number>>)[event._tag]
        )
        // The envelope's tenant id: the event's own where it carries one (webhooks), else any.
        const tenantId = event.tenantId ?? otherTenantId
        const stored = { ...JSON.parse(JSON.stringify(encoded)), tenantId } as Parameters<
          typeof decodeEvent
        >[0]
        expect(agg.codec.decode(stored)).toEqual(event)
        expect(agg.codec.decodeStrict(stored)).toEqual(event)
        expect(decodeEvent(stored)).toEqual(event)
        expect(decodeEventStrict(stored)).toEqual(event)
      }),
      { numRuns: 300 }
    )
  })
})

describe("Webhook events' envelope", () => {
  it("given a webhook event, when encoded, then its tenantId is not in the stored data (it is the envelope's)", () => {
    fc.assert(
      fc.property(webhookEventArb, (event) => {
        const encoded = webhookCodec.encode(event)
        expect(encoded.data).not.toHaveProperty("tenantId")
        expect(webhookCodec.data({ ...encoded, tenantId: event.tenantId })).not.toHaveProperty("tenantId")
      }),
      { numRuns: 100 }
    )
  })
})
