import { domainToASCII } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import {
  type CustomDomainCommand,
  type CustomDomainState,
  customDomainDecider,
  type DomainId,
  isLive,
  parseCustomHostname
} from "../../domain/customDomain/index.ts"
import { decode, encode } from "../../domain/customDomain/punycode.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { TenantId } from "../../domain/shared/ids.ts"

/**
 * The hostname rules (valid names round-trip in any letter case and with a trailing dot,
 * Unicode names become the A-labels node's URL parser gives, invalid ones are refused) and
 * the domain decider (one live holder, only transitions are events, "could not ask"
 * changes nothing, an active domain needs two misses in a row).
 */

const context = { proxyBaseDomain: "cachely.io", publicHost: "api.tenantry.dev" }
const parse = (input: string) => parseCustomHostname(input, context)

const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz")
const inner = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-")
const edge = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789")
const labelArb = fc
  .tuple(edge, fc.array(inner, { maxLength: 20 }), edge)
  .map(([first, middle, last]) => `${first}${middle.join("")}${last}`)
  .filter((label) => !label.startsWith("xn--") && label.slice(2, 4) !== "--")
const tldArb = fc.array(letter, { minLength: 2, maxLength: 6 }).map((letters) => letters.join(""))
const hostnameArb = fc
  .tuple(fc.array(labelArb, { minLength: 1, maxLength: 4 }), tldArb)
  .map(([labels, tld]) => [...labels, tld].join("."))
  .filter((host) => !host.endsWith(".cachely.io") && host !== "api.tenantry.dev")

const randomCase = (value: string, flips: ReadonlyArray<boolean>) =>
  Array.from(value, (char, i) => (flips[i % Math.max(flips.length, 1)] ? char.toUpperCase() : char)).join("")

/** Lower-case letters of scripts whose UTS #46 mapping is the identity. */
const unicodeLetter = fc.constantFrom(
  ..."äöüßéèñçøåæœабвгдежзийклмнопрстуфхцчшщыэюяαβγδεζηθικλμνξπρστυφχψω例え中文日本語한국어"
)

describe("Custom domain hostnames", () => {
  it("given any valid hostname, then it is accepted unchanged, and in any letter case and with a trailing dot it becomes the same", () => {
    fc.assert(
      fc.property(
        hostnameArb,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.boolean(),
        (host, flips, dot) => {
          expect(parse(host)).toEqual(Result.succeed(host))
          expect(parse(`${randomCase(host, flips)}${dot ? "." : ""}`)).toEqual(Result.succeed(host))
        }
      )
    )
  })

  it("given a hostname with Unicode labels, then it becomes the IDNA A-labels node's URL parser gives", () => {
    fc.assert(
      fc.property(
        fc.array(unicodeLetter, { minLength: 1, maxLength: 12 }),
        labelArb,
        tldArb,
        (letters, label, tld) => {
          const host = `${letters.join("")}.${label}.${tld}`
          expect(parse(host)).toEqual(Result.succeed(domainToASCII(host)))
          const ascii = domainToASCII(host)
          expect(parse(ascii), "the A-label form is accepted as it is").toEqual(Result.succeed(ascii))
        }
      )
    )
  })

  it("Punycode decodes what it encodes", () => {
    const codePoint = fc
      .integer({ min: 0x20, max: 0x10ffff })
      .filter((point) => point < 0xd800 || point > 0xdfff)
    fc.assert(
      fc.property(fc.array(codePoint, { minLength: 1, maxLength: 30 }), (points) => {
        const text = String.fromCodePoint(...points)
        const encoded = encode(text)
        expect(encoded).toBeDefined()
        expect(decode(encoded!)).toBe(text)
      })
    )
  })

  it("given an invalid hostname, then it is refused with a sentence", () => {
    const invalid = fc.oneof(
      fc.ipV4(),
      tldArb, // one label
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `*.${label}.${tld}`),
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `-${label}.${tld}`),
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `${label}-.${tld}`),
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `${label}..${tld}`),
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `${label}_x.${tld}`),
      fc.tuple(labelArb, tldArb).map(([label, tld]) => `${"a".repeat(64)}.${label}.${tld}`),
      fc.array(labelArb, { minLength: 60, maxLength: 80 }).map((labels) => `${labels.join(".")}.com`),
      labelArb.map((label) => `${label}.localhost`),
      labelArb.map((label) => `${label}.cachely.io`),
      fc.constantFrom(
        "cachely.io",
        "api.tenantry.dev",
        "localhost",
        "",
        ".",
        "https://shop.example.com",
        "shop.example.com:8443",
        "[::1]",
        "shop.example.com/path",
        "xn--zz.example.com"
      )
    )
    fc.assert(
      fc.property(invalid, (input) => {
        const result = parse(input)
        expect(Result.isFailure(result), `${JSON.stringify(input)} was accepted`).toBe(true)
        if (Result.isFailure(result)) expect(result.failure).toMatch(/^must|^each label/)
      })
    )
  })
})

// The decider ------------------------------------------------------------------------------

const tenants = ["tnt_acme000001" as TenantId, "tnt_other00001" as TenantId]
const hostname = "shop.example.com"
const hour = 3_600_000
const start = Date.parse("2026-12-01T00:00:00.000Z")

const commandArb = (index: number): fc.Arbitrary<CustomDomainCommand> => {
  const at = new Date(start + index * 12 * hour).toISOString()
  const tenantId = fc.constantFrom(...tenants)
  return fc.oneof(
    fc.record({
      _tag: fc.constant("AddCustomDomain" as const),
      tenantId,
      tenantLive: fc.boolean(),
      holderLive: fc.boolean(),
      domainId: fc.constant(`dom_${String(index).padStart(8, "0")}` as DomainId),
      hostname: fc.constant(hostname),
      token: fc.constant(`token${index}`),
      at: fc.constant(at)
    }),
    fc.record({
      _tag: fc.constant("CheckCustomDomain" as const),
      tenantId,
      hostname: fc.constant(hostname),
      ownership: fc.constantFrom("found", "missing", "unknown"),
      routing: fc.constantFrom("ok", "wrong", "unknown"),
      reasons: fc.constant(["routing: something"]),
      routingMisses: fc.nat({ max: 3 }),
      manual: fc.boolean(),
      pendingTtlHours: fc.constant(48),
      at: fc.constant(at)
    }),
    fc.record({
      _tag: fc.constant("RemoveCustomDomain" as const),
      tenantId,
      hostname: fc.constant(hostname),
      at: fc.constant(at)
    })
  )
}
const historyArb = fc
  .integer({ min: 1, max: 25 })
  .chain((length) => fc.tuple(...Array.from({ length }, (_, i) => commandArb(i))))

const consistent = (state: CustomDomainState) => {
  if (!isLive(state)) return
  const verified = state.status === "active" || state.status === "misconfigured"
  expect(state.verifiedAt !== null, `verifiedAt of a ${state.status} domain`).toBe(verified)
  if (state.status === "active") expect(state.activatedAt).not.toBeNull()
  if (state.status === "active") expect(state.reasons).toEqual([])
}

describe("The custom domain decider (arbitrary commands from two tenants)", () => {
  it("given any commands, then the state stays consistent, every accepted decision with events is a transition, and refusals change nothing", () => {
    fc.assert(
      fc.property(historyArb, (commands) => {
        let state = customDomainDecider.initialState
        for (const command of commands) {
          const decision = customDomainDecider.decide(command, state)
          if (Result.isFailure(decision)) continue
          const next = fold(customDomainDecider, decision.success, state)
          if (decision.success.length > 0) {
            const before = isLive(state) ? `${state.domainId}/${state.status}` : "absent"
            const after = isLive(next) ? `${next.domainId}/${next.status}` : "absent"
            expect(after, `${JSON.stringify(decision.success)} changed nothing`).not.toBe(before)
          }
          consistent(next)
          state = next
        }
      })
    )
  })

  it("given a live holder, then only a deleted holder's hostname can be taken by another tenant", () => {
    fc.assert(
      fc.property(historyArb, fc.boolean(), (commands, holderLive) => {
        const state = commands.reduce((current, command) => {
          const decision = customDomainDecider.decide(command, current)
          return Result.isSuccess(decision) ? fold(customDomainDecider, decision.success, current) : current
        }, customDomainDecider.initialState)
        if (!isLive(state)) return
        const other = tenants.find((tenant) => tenant !== state.tenantId)!
        const decision = customDomainDecider.decide(
          {
            _tag: "AddCustomDomain",
            tenantId: other,
            tenantLive: true,
            holderLive,
            domainId: "dom_zzzzzzzz" as DomainId,
            hostname,
            token: "t",
            at: new Date(start + 1000 * hour).toISOString()
          },
          state
        )
        expect(Result.isSuccess(decision)).toBe(!holderLive)
      })
    )
  })

  it("given any live domain, when DNS could not be asked at all, then nothing is recorded (an expired one comes back to pending only on a verify call)", () => {
    fc.assert(
      fc.property(historyArb, fc.boolean(), fc.nat({ max: 3 }), (commands, manual, routingMisses) => {
        const state = commands.reduce((current, command) => {
          const decision = customDomainDecider.decide(command, current)
          return Result.isSuccess(decision) ? fold(customDomainDecider, decision.success, current) : current
        }, customDomainDecider.initialState)
        if (!isLive(state)) return
        const decision = customDomainDecider.decide(
          {
            _tag: "CheckCustomDomain",
            tenantId: state.tenantId,
            hostname,
            ownership: "unknown",
            routing: "unknown",
            reasons: ["could not ask"],
            routingMisses,
            manual,
            pendingTtlHours: 1,
            at: new Date(start + 1000 * hour).toISOString()
          },
          state
        )
        const tags = Result.isSuccess(decision) ? decision.success.map((event) => event._tag) : ["refused"]
        expect(tags).toEqual(state.status === "expired" && manual ? ["CustomDomainReopened"] : [])
      })
    )
  })
})
