import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { tenantCodec } from "../../application/events/catalog.ts"
import { fold } from "../../domain/shared/decider.ts"
import { Instant } from "../../domain/shared/ids.ts"
import {
  type CmsConfig,
  initialState,
  reservedSlugs,
  Slug,
  slugProblem,
  type TenantCommand,
  type TenantConfigChanges,
  type TenantEvent,
  type TenantState,
  TenantState as TenantStateSchema,
  tenantDecider
} from "../../domain/tenant/index.ts"
import {
  configChangesArb,
  createTenantArb,
  deleteTenantArb,
  generateWebhookSecretArb,
  increasingInstantsArb,
  instantAt,
  isSlugByTheRules,
  nearValidSlugArb,
  reservedSlugArb,
  rotateWebhookSecretArb,
  saveApiConfigArb,
  saveApiTokenArb,
  slugCandidateArb,
  stepMillisArb,
  tenantCommandArb,
  tenantEventArb,
  type Untimed,
  updateTenantConfigArb,
  validSlugArb,
  withInstant
} from "../support/arbitraries.ts"

const { decide, evolve } = tenantDecider

/** Order-insensitive structural equality, the way a person compares two configurations. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  )
const sameValue = (a: unknown, b: unknown) => canonical(a) === canonical(b)

// The model: what a person expects of a tenant, written without the decider's code. ------

interface Config {
  cms: CmsConfig
  cacheTTL: number
  websiteDomain: string | null
  siteProxy: boolean
}

interface Model {
  status: "absent" | "active" | "deleted"
  clock: number
  slug: string
  ownerId: string
  config: Config
  apiConfig: unknown
  apiToken: { sealedToken: string; updatedAt: string } | null
  webhookSecret: string | null
  createdAt: string
  updatedAt: string
  deletedAt: string
}

interface Real {
  state: TenantState
}

const freshModel = (): Model => ({
  status: "absent",
  clock: 0,
  slug: "",
  ownerId: "",
  config: {
    cms: { cms: "generic", apiOrigin: "https://unset.example" },
    cacheTTL: 0,
    websiteDomain: null,
    siteProxy: false
  },
  apiConfig: null,
  apiToken: null,
  webhookSecret: null,
  createdAt: "",
  updatedAt: "",
  deletedAt: ""
})

/** The real state agrees with the model in everything the model knows. */
const expectAgreement = (model: Model, state: TenantState) => {
  expect(state.status).toBe(model.status)
  if (state.status === "deleted") {
    expect(state.slug).toBe(model.slug)
    expect(state.deletedAt).toBe(model.deletedAt)
  }
  if (state.status === "active") {
    expect(state.slug).toBe(model.slug)
    expect(sameValue(state.cms, model.config.cms)).toBe(true)
    expect(state.cacheTTL).toBe(model.config.cacheTTL)
    expect(state.websiteDomain).toBe(model.config.websiteDomain)
    expect(state.siteProxy).toBe(model.config.siteProxy)
    expect(state.apiConfig).toEqual(model.apiConfig)
    expect(state.apiToken).toEqual(model.apiToken)
    expect(state.webhookSecret).toBe(model.webhookSecret)
    // The creator, whom membership counts as the first owner.
    expect(state.creatorId).toBe(model.ownerId)
    expect(state.createdAt).toBe(model.createdAt)
    expect(state.updatedAt).toBe(model.updatedAt)
  }
  expect(Schema.is(TenantStateSchema)(state)).toBe(true)
}

/**
 * One model step: decide against the real state, check the decision against what the
 * model expects (refusals included), apply it, and check the states still agree.
 */
class Step implements fc.Command<Model, Real> {
  readonly untimed: Untimed<TenantCommand>
  readonly step: number
  constructor(untimed: Untimed<TenantCommand>, step: number) {
    this.untimed = untimed
    this.step = step
  }
  check = () => true
  run(model: Model, real: Real) {
    model.clock += this.step
    const at = instantAt(model.clock)
    const command = withInstant(this.untimed, at) as TenantCommand
    const decision = decide(command, real.state)
    const before = real.state

    if (command._tag === "CreateTenant") {
      if (model.status !== "absent") {
        // Create twice fails; a deleted tenant's id is never reused.
        expect(Result.isFailure(decision) && decision.failure._tag).toBe("TenantAlreadyExists")
        expect(real.state).toBe(before)
        return
      }
    } else if (model.status !== "active") {
      // Nothing happens to a tenant that is not live: absent or deleted, everything is refused.
      expect(Result.isFailure(decision) && decision.failure._tag).toBe("TenantNotFound")
      return
    }

    if (Result.isFailure(decision)) throw new Error(`unexpected refusal ${decision.failure._tag}`)
    const events = decision.success
    real.state = fold(tenantDecider, events, real.state)

    switch (command._tag) {
      case "CreateTenant": {
        expect(events.map((e) => e._tag)).toEqual(["TenantCreated"])
        model.status = "active"
        model.slug = command.slug
        model.ownerId = command.ownerId
        model.config = {
          cms: command.cms,
          cacheTTL: command.cacheTTL,
          websiteDomain: command.websiteDomain,
          siteProxy: command.siteProxy
        }
        model.createdAt = at
        model.updatedAt = at
        break
      }
      case "UpdateTenantConfig": {
        // Only real changes are recorded; a change to the value already held is none.
        const real = Object.entries(command.changes).filter(
          ([key, value]) => !sameValue(model.config[key as keyof Config], value)
        )
        if (real.length === 0) {
          expect(events).toEqual([])
        } else {
          expect(events).toHaveLength(1)
          const [event] = events
          expect(event?._tag).toBe("TenantConfigUpdated")
          if (event?._tag === "TenantConfigUpdated") {
            expect(Object.keys(event.changes).sort()).toEqual(real.map(([key]) => key).sort())
          }
          model.config = { ...model.config, ...Object.fromEntries(real) }
          model.updatedAt = at
        }
        break
      }
      case "SaveApiConfig": {
        expect(events.map((e) => e._tag)).toEqual(["ApiConfigSaved"])
        model.apiConfig = command.apiConfig
        model.updatedAt = at
        break
      }
      case "SaveApiToken": {
        expect(events.map((e) => e._tag)).toEqual(["ApiTokenSaved"])
        model.apiToken = { sealedToken: command.sealedToken, updatedAt: at }
        model.updatedAt = at
        break
      }
      case "DeleteTenant": {
        expect(events).toEqual([{ _tag: "TenantDeleted", slug: model.slug, at }])
        model.status = "deleted"
        model.deletedAt = at
        break
      }
      case "GenerateWebhookSecret": {
        // Idempotent: a tenant that has a secret keeps it.
        if (model.webhookSecret !== null) {
          expect(events).toEqual([])
        } else {
          expect(events).toEqual([{ _tag: "WebhookSecretGenerated", sealedSecret: command.sealedSecret, at }])
          model.webhookSecret = command.sealedSecret
        }
        break
      }
      case "RotateWebhookSecret": {
        // The new secret replaces the old one at once; the secret is no configuration change (updatedAt stays).
        expect(events).toEqual([{ _tag: "WebhookSecretRotated", sealedSecret: command.sealedSecret, at }])
        model.webhookSecret = command.sealedSecret
        break
      }
    }
    expectAgreement(model, real.state)
  }
  toString() {
    return `${this.untimed._tag}(+${this.step}ms) ${JSON.stringify(this.untimed)}`
  }
}

/** Re-sends the value the tenant already holds (a copy): the update that must record nothing. */
class Reapply implements fc.Command<Model, Real> {
  readonly field: keyof Config
  readonly step: number
  constructor(field: keyof Config, step: number) {
    this.field = field
    this.step = step
  }
  check = (model: Readonly<Model>) => model.status === "active"
  run(model: Model, real: Real) {
    model.clock += this.step
    const changes = { [this.field]: structuredClone(model.config[this.field]) } as TenantConfigChanges
    const decision = decide({ _tag: "UpdateTenantConfig", changes, at: instantAt(model.clock) }, real.state)
    expect(Result.isSuccess(decision) && decision.success).toEqual([])
    expectAgreement(model, real.state)
  }
  toString() {
    return `Reapply(${this.field})`
  }
}

const step = <C extends Untimed<TenantCommand>>(arb: fc.Arbitrary<C>) =>
  fc.tuple(arb, stepMillisArb).map(([command, ms]) => new Step(command, ms) as fc.Command<Model, Real>)
const stepArbs = [
  step(createTenantArb()),
  step(updateTenantConfigArb),
  step(updateTenantConfigArb),
  step(updateTenantConfigArb),
  step(saveApiConfigArb),
  step(saveApiTokenArb()),
  step(generateWebhookSecretArb),
  step(rotateWebhookSecretArb),
  step(deleteTenantArb),
  fc
    .tuple(fc.constantFrom<keyof Config>("cms", "cacheTTL", "websiteDomain", "siteProxy"), stepMillisArb)
    .map(([field, ms]) => new Reapply(field, ms) as fc.Command<Model, Real>)
]

/** Sequences that mostly start with a create, so most steps act on a live tenant. */
const commandsArb = fc
  .tuple(
    fc.boolean(),
    createTenantArb(),
    stepMillisArb,
    fc.commands(stepArbs, { maxCommands: 40, size: "+1" })
  )
  .map(([startLive, create, ms, rest]) => ({ first: startLive ? [new Step(create, ms)] : [], rest }))

describe("Tenant decider (model-based)", () => {
  it("given arbitrary command sequences, then the decider agrees with the model at every step", () => {
    fc.assert(
      fc.property(commandsArb, ({ first, rest }) => {
        fc.modelRun(() => ({ model: freshModel(), real: { state: initialState } }), [...first, ...rest])
      }),
      { numRuns: 400 }
    )
  })

  it("given a deleted tenant, when any command arrives, then it is refused and nothing changes", () => {
    fc.assert(
      fc.property(createTenantArb(), tenantCommandArb, (create, command) => {
        const at = instantAt(1)
        const deleted = fold(tenantDecider, [
          { ...create, _tag: "TenantCreated", at },
          { _tag: "TenantDeleted", slug: create.slug, at }
        ])
        const decision = decide(command, deleted)
        expect(Result.isFailure(decision)).toBe(true)
        expect(Result.isFailure(decision) && decision.failure._tag).toBe(
          command._tag === "CreateTenant" ? "TenantAlreadyExists" : "TenantNotFound"
        )
      })
    )
  })

  it("given an active tenant, when the same configuration comes back with its keys in another order, then no event is recorded", () => {
    // A configuration read back from the store (jsonb orders keys by length) against the
    // same configuration as a client sends it (Schema orders keys as declared).
    fc.assert(
      fc.property(createTenantArb(), (create) => {
        const at = instantAt(1)
        const state = evolve(initialState, { ...create, _tag: "TenantCreated", at })
        const reordered = Object.fromEntries(Object.entries(create.cms).reverse()) as CmsConfig
        const decision = decide(
          { _tag: "UpdateTenantConfig", changes: { cms: reordered }, at: instantAt(2) },
          state
        )
        expect(Result.isSuccess(decision) && decision.success).toEqual([])
      })
    )
  })
})

/** Arbitrary states: folds of arbitrary events, so absent, active and deleted all occur with odd histories. */
const stateArb: fc.Arbitrary<TenantState> = fc
  .array(tenantEventArb, { maxLength: 8 })
  .map((events) => events.reduce(evolve, initialState))

describe("Tenant evolve", () => {
  it("given any state and any event, when evolving, then it never throws and yields a valid state", () => {
    fc.assert(
      fc.property(stateArb, tenantEventArb, (state, event) => {
        const next = evolve(state, event)
        expect(Schema.is(TenantStateSchema)(next)).toBe(true)
        if (state.status !== "active" && event._tag !== "TenantCreated") expect(next).toBe(state)
      }),
      { numRuns: 500 }
    )
  })

  it("given generated instants, then they are valid Instants and strictly increasing", () => {
    fc.assert(
      fc.property(increasingInstantsArb(10), (instants) => {
        for (const at of instants) expect(Schema.is(Instant)(at)).toBe(true)
        for (let i = 1; i < instants.length; i++) expect(instants[i]! > instants[i - 1]!).toBe(true)
      })
    )
  })
})

describe("Tenant event codec", () => {
  it("given events the decider emits, when encoded and decoded strictly, then folding them gives the same state", () => {
    fc.assert(
      fc.property(fc.array(tenantCommandArb, { maxLength: 20 }), (commands) => {
        let state = initialState
        const emitted: Array<TenantEvent> = []
        for (const command of commands) {
          const decision = decide(command, state)
          if (Result.isSuccess(decision)) {
            emitted.push(...decision.success)
            state = fold(tenantDecider, decision.success, state)
          }
        }
        const replayed = emitted.map((e) =>
          tenantCodec.decodeStrict({ ...JSON.parse(JSON.stringify(tenantCodec.encode(e))), tenantId: "" })
        )
        expect(fold(tenantDecider, replayed)).toEqual(state)
      })
    )
  })
})

describe("Slug rules", () => {
  it("given any candidate string, then Slug accepts it exactly when the written rules do", () => {
    fc.assert(
      fc.property(slugCandidateArb, (candidate) => {
        expect(Schema.is(Slug)(candidate)).toBe(isSlugByTheRules(candidate))
        expect(slugProblem(candidate) === undefined).toBe(isSlugByTheRules(candidate))
      }),
      { numRuns: 2000 }
    )
  })

  it("given a valid slug, then it is accepted", () => {
    fc.assert(
      fc.property(validSlugArb, (slug) => {
        expect(Schema.is(Slug)(slug)).toBe(true)
      })
    )
  })

  it("given a near-valid slug, then it is rejected, for format or for being reserved", () => {
    fc.assert(
      fc.property(nearValidSlugArb, (candidate) => {
        expect(Schema.is(Slug)(candidate)).toBe(false)
        expect(slugProblem(candidate)).toBe(reservedSlugs.has(candidate) ? "reserved" : "format")
      }),
      { numRuns: 1000 }
    )
  })

  it("given a reserved slug, then it is rejected as reserved, though its format is fine", () => {
    fc.assert(
      fc.property(reservedSlugArb, (slug) => {
        expect(slugProblem(slug)).toBe(slug.length >= 3 ? "reserved" : "format")
        expect(Schema.is(Slug)(slug)).toBe(false)
      })
    )
  })

  it("given slugs at the length bounds, then 3 and 63 pass and 2 and 64 fail", () => {
    expect(Schema.is(Slug)("abc")).toBe(true)
    expect(Schema.is(Slug)("a".repeat(63))).toBe(true)
    expect(Schema.is(Slug)("ab")).toBe(false)
    expect(Schema.is(Slug)("a".repeat(64))).toBe(false)
    expect(Schema.is(Slug)("a-b")).toBe(true)
    expect(Schema.is(Slug)("a--")).toBe(false)
  })
})

describe("Config changes", () => {
  it("given any change set against an active tenant, then the recorded changes are exactly the differing fields", () => {
    fc.assert(
      fc.property(createTenantArb(), configChangesArb, (create, changes) => {
        const state = evolve(initialState, { ...create, _tag: "TenantCreated", at: instantAt(1) })
        const decision = decide({ _tag: "UpdateTenantConfig", changes, at: instantAt(2) }, state)
        const differing = Object.entries(changes)
          .filter(
            ([key, value]) => !sameValue(state.status === "active" && state[key as keyof Config], value)
          )
          .map(([key]) => key)
        const events = Result.isSuccess(decision) ? decision.success : []
        expect(
          events.flatMap((e) => (e._tag === "TenantConfigUpdated" ? Object.keys(e.changes) : [])).sort()
        ).toEqual(differing.sort())
      }),
      { numRuns: 500 }
    )
  })
})
