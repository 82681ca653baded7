import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { formatIssues } from "../../application/formatIssues.ts"

/** Decodes as the API does (every issue, unknown keys refused) and formats the failure. */
const errorsOf = (schema: Schema.Codec<unknown, unknown>, input: unknown) => {
  const result = Schema.decodeUnknownResult(schema)(input, { errors: "all", onExcessProperty: "error" })
  if (result._tag === "Success") throw new Error(`expected ${JSON.stringify(input)} to fail`)
  return formatIssues(result.failure, input)
}

/** A plain object with the same entries, for exact comparison (the result has no prototype). */
const plain = (errors: Record<string, Array<string>>) => ({ ...errors })

const Hostname = Schema.String.check(
  Schema.makeFilter((value: string) => value.includes(".") || "must be a hostname such as www.example.com", {
    expected: "a hostname such as www.example.com"
  })
)
const Name = Schema.String.check(Schema.isMinLength(1))
const Lives = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 9 }))

/** Structs told apart by `kind`, sharing `name` and `home` (the same schemas in each). */
const shared = { name: Name, home: Schema.optionalKey(Schema.NullOr(Hostname)) }
const Pet = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("cat"), lives: Lives, ...shared }),
  Schema.Struct({ kind: Schema.Literal("dog"), good: Schema.Boolean, ...shared }),
  Schema.Struct({ kind: Schema.Literal("fish"), ...shared })
])
const kindMessage = "must be one of cat, dog, fish"

describe("formatIssues", () => {
  describe("structs", () => {
    const Settings = Schema.Struct({
      title: Name,
      size: Lives,
      enabled: Schema.Boolean,
      mode: Schema.Literals(["fast", "slow"]),
      tags: Schema.optionalKey(Schema.Array(Schema.String))
    })

    it("given several bad fields, then every one is reported under its own name", () => {
      expect(
        plain(errorsOf(Settings, { title: "", size: 1.5, enabled: "yes", mode: "medium", tags: ["a", 2] }))
      ).toEqual({
        title: ["Expected a value with a length of at least 1"],
        size: ["Expected an integer"],
        enabled: ["Expected boolean"],
        mode: ["must be one of fast, slow"],
        "tags.1": ["Expected string"]
      })
    })

    it("given missing and unknown keys, then each is named", () => {
      expect(plain(errorsOf(Settings, { title: "t", size: 3, mode: "fast", extra: 1 }))).toEqual({
        enabled: ["Missing key"],
        extra: ["Expected no excess property"]
      })
    })

    it("given a Literals field of the wrong kind, then the allowed values too", () => {
      expect(plain(errorsOf(Settings, { title: "t", size: 3, enabled: true, mode: 7 }))).toEqual({
        mode: ["must be one of fast, slow"]
      })
    })

    it("given a nested struct, then its fields under dotted paths", () => {
      const Outer = Schema.Struct({ a: Schema.Struct({ b: Schema.Int, c: Schema.Struct({ d: Name }) }) })
      expect(plain(errorsOf(Outer, { a: { b: "1", c: { d: "" } } }))).toEqual({
        "a.b": ["Expected number"],
        "a.c.d": ["Expected a value with a length of at least 1"]
      })
      expect(plain(errorsOf(Outer, { a: 1 }))).toEqual({ a: ["Expected object"] })
    })

    it("given a value that is not an object (null, an array, a string), then body: Expected object", () => {
      for (const input of [null, [], [{ title: "t" }], "text", 5, undefined]) {
        expect(plain(errorsOf(Settings, input)), JSON.stringify(input)).toEqual({ body: ["Expected object"] })
      }
    })
  })

  describe("a union of structs told apart by one key", () => {
    it("given an unknown discriminator, then it is named with the allowed values, beside the shared fields' problems", () => {
      expect(plain(errorsOf(Pet, { kind: "bird", name: "Tweety" }))).toEqual({ kind: [kindMessage] })
      expect(plain(errorsOf(Pet, { kind: "bird", name: "", home: "nowhere" }))).toEqual({
        kind: [kindMessage],
        name: ["Expected a value with a length of at least 1"],
        home: ["must be a hostname such as www.example.com"]
      })
    })

    it("given a missing or mistyped discriminator, then the same sentence", () => {
      expect(plain(errorsOf(Pet, { name: "Rex" }))).toEqual({ kind: [kindMessage] })
      expect(plain(errorsOf(Pet, { kind: 3, name: "Rex" }))).toEqual({ kind: [kindMessage] })
      expect(plain(errorsOf(Pet, {}))).toEqual({ kind: [kindMessage], name: ["Missing key"] })
    })

    it("given a known discriminator, then that member's own problems", () => {
      expect(plain(errorsOf(Pet, { kind: "cat", name: "Tom", lives: 12 }))).toEqual({
        lives: ["Expected a value between 1 and 9"]
      })
      expect(plain(errorsOf(Pet, { kind: "dog", name: "Rex" }))).toEqual({ good: ["Missing key"] })
    })

    it("given a value that is not an object, then body: Expected object, and no discriminator entry", () => {
      for (const input of [null, [], ["cat"], "cat", 0, true]) {
        expect(plain(errorsOf(Pet, input)), JSON.stringify(input)).toEqual({ body: ["Expected object"] })
      }
    })

    it("given the union wrapped in another union (as http-api wraps a payload), then the same answers", () => {
      const Wrapped = Schema.Union([Pet])
      expect(plain(errorsOf(Wrapped, { kind: "bird", name: "" }))).toEqual({
        kind: [kindMessage],
        name: ["Expected a value with a length of at least 1"]
      })
      expect(plain(errorsOf(Wrapped, "x"))).toEqual({ body: ["Expected object"] })
      expect(plain(errorsOf(Schema.Union([Wrapped]), { name: "Rex" }))).toEqual({ kind: [kindMessage] })
    })

    it("given the union as a field, then its problems under that field's path", () => {
      const Owner = Schema.Struct({ pet: Pet })
      expect(plain(errorsOf(Owner, { pet: { kind: "bird", name: "" } }))).toEqual({
        "pet.kind": [kindMessage],
        "pet.name": ["Expected a value with a length of at least 1"]
      })
      expect(plain(errorsOf(Owner, { pet: null }))).toEqual({ pet: ["Expected object"] })
    })

    it("given a union with its own message, then that message", () => {
      const Annotated = Schema.Union(Pet.members).annotate({ message: "Choose a cat, a dog or a fish" })
      expect(plain(errorsOf(Annotated, { kind: "bird", name: "" }))).toEqual({
        body: ["Choose a cat, a dog or a fish"]
      })
      expect(plain(errorsOf(Schema.Union([Annotated]), 5))).toEqual({
        body: ["Choose a cat, a dog or a fish"]
      })
      const Mode = Schema.Literals(["fast", "slow"]).annotate({ message: "Pick fast or slow" })
      expect(plain(errorsOf(Schema.Struct({ mode: Mode }), { mode: "medium" }))).toEqual({
        mode: ["Pick fast or slow"]
      })
    })
  })

  describe("a schema or null (Schema.NullOr)", () => {
    const field = (schema: Schema.Codec<unknown, unknown>) => Schema.Struct({ value: schema })
    const cases: ReadonlyArray<readonly [string, Schema.Codec<unknown, unknown>, unknown, string]> = [
      [
        "a refinement with an expectation",
        Schema.NullOr(Hostname),
        5,
        "must be a hostname such as www.example.com, or null"
      ],
      ["a bare string", Schema.NullOr(Schema.String), 5, "must be a string or null"],
      ["a number", Schema.NullOr(Schema.Number), "5", "must be a number or null"],
      ["an integer", Schema.NullOr(Schema.Int), "5", "must be an integer or null"],
      [
        "checks together",
        Schema.NullOr(Lives),
        true,
        "must be an integer and a value between 1 and 9, or null"
      ],
      ["a boolean", Schema.NullOr(Schema.Boolean), "true", "must be a boolean or null"],
      ["literals", Schema.NullOr(Schema.Literals(["fast", "slow"])), 1, "must be one of fast, slow, or null"],
      ["a struct", Schema.NullOr(Schema.Struct({ a: Schema.String })), "x", "must be an object or null"],
      ["an array", Schema.NullOr(Schema.Array(Schema.String)), {}, "must be an array or null"],
      [
        "a string decoded to a number",
        Schema.NullOr(Schema.NumberFromString),
        5,
        "must be a string that will be decoded as a number, or null"
      ],
      [
        "a schema with its own expectation",
        Schema.NullOr(Schema.String.annotate({ expected: "a name" })),
        5,
        "must be a name or null"
      ],
      [
        "several members",
        Schema.Union([Schema.String, Schema.Number, Schema.Null]),
        false,
        "must be a string, a number or null"
      ]
    ]
    for (const [what, schema, input, message] of cases) {
      it(`given ${what} and a value of another kind, then "${message}"`, () => {
        expect(plain(errorsOf(field(schema), { value: input }))).toEqual({ value: [message] })
      })
    }

    it("given a value of the right kind that fails a check, then that check's own message", () => {
      expect(plain(errorsOf(field(Schema.NullOr(Hostname)), { value: "localhost" }))).toEqual({
        value: ["must be a hostname such as www.example.com"]
      })
      expect(plain(errorsOf(field(Schema.NullOr(Lives)), { value: 10 }))).toEqual({
        value: ["Expected a value between 1 and 9"]
      })
      expect(
        plain(errorsOf(field(Schema.NullOr(Schema.Struct({ a: Schema.String }))), { value: { a: 1 } }))
      ).toEqual({
        "value.a": ["Expected string"]
      })
    })

    it("given an optional nullable field beside other bad fields, then each under its name", () => {
      const Body = Schema.Struct({ domain: Schema.optionalKey(Schema.NullOr(Hostname)), ttl: Schema.Int })
      expect(plain(errorsOf(Body, { domain: 5, ttl: "60" }))).toEqual({
        domain: ["must be a hostname such as www.example.com, or null"],
        ttl: ["Expected number"]
      })
    })

    it("given a union with its own message or expectation, then that, not a composed sentence", () => {
      expect(
        plain(
          errorsOf(field(Schema.NullOr(Schema.String).annotate({ message: "Give a name or null" })), {
            value: 5
          })
        )
      ).toEqual({ value: ["Give a name or null"] })
      expect(
        plain(
          errorsOf(field(Schema.NullOr(Schema.String).annotate({ expected: "a name or nothing" })), {
            value: 5
          })
        )
      ).toEqual({ value: ["Expected a name or nothing"] })
    })

    it("given the shared nullable field of a discriminated union, then its sentence beside the discriminator", () => {
      expect(plain(errorsOf(Pet, { kind: "bird", name: "Tweety", home: 5 }))).toEqual({
        kind: [kindMessage],
        home: ["must be a hostname such as www.example.com, or null"]
      })
      expect(plain(errorsOf(Pet, { kind: "fish", name: "Nemo", home: false }))).toEqual({
        home: ["must be a hostname such as www.example.com, or null"]
      })
    })
  })

  describe("odd inputs", () => {
    it("given fields named like Object.prototype members, then they are plain entries and nothing is polluted", () => {
      const Odd = Schema.Struct({ constructor: Schema.String, toString: Schema.Int, valueOf: Schema.Boolean })
      const errors = errorsOf(
        Odd,
        JSON.parse('{"constructor": 1, "toString": "x", "valueOf": "no", "__proto__": {"polluted": true}}')
      )
      expect(Object.getPrototypeOf(errors)).toBe(null)
      expect(plain(errors)).toEqual({
        constructor: ["Expected string"],
        toString: ["Expected number"],
        valueOf: ["Expected boolean"],
        ["__proto__"]: ["Expected no excess property"]
      })
      expect(Object.keys(errors).sort()).toEqual(["__proto__", "constructor", "toString", "valueOf"])
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })

    it("given a discriminated union's input with __proto__ and constructor keys, then no crash and nothing is polluted", () => {
      const errors = errorsOf(
        Pet,
        JSON.parse('{"__proto__": {"kind": "cat"}, "constructor": "x", "name": ""}')
      )
      expect(Object.getPrototypeOf(errors)).toBe(null)
      expect(plain(errors)).toEqual({
        kind: [kindMessage],
        name: ["Expected a value with a length of at least 1"]
      })
      expect(({} as Record<string, unknown>).kind).toBeUndefined()
    })

    it("given a nested path through __proto__, then it reads that own key, not the prototype", () => {
      const Nested = Schema.Struct({ ["__proto__"]: Schema.Struct({ kind: Pet }) })
      const errors = errorsOf(Nested, JSON.parse('{"__proto__": {"kind": {"kind": "bird", "name": "x"}}}'))
      expect(plain(errors)).toEqual({ "__proto__.kind.kind": [kindMessage] })
    })

    it("given bad values carrying a secret, then no message repeats it", () => {
      const secret = "s3cr3t-VALUE-9f86d081"
      const Body = Schema.Struct({
        pet: Pet,
        mode: Schema.Literals(["fast", "slow"]),
        home: Schema.NullOr(Hostname),
        count: Schema.NullOr(Schema.Int),
        title: Name
      })
      const errors = errorsOf(Body, {
        pet: { kind: secret, name: secret, home: secret },
        mode: secret,
        home: secret,
        count: secret,
        title: 7,
        [secret]: secret
      })
      expect(plain(errors)).toEqual({
        "pet.kind": [kindMessage],
        "pet.home": ["must be a hostname such as www.example.com"],
        mode: ["must be one of fast, slow"],
        home: ["must be a hostname such as www.example.com"],
        count: ["must be an integer or null"],
        title: ["Expected string"],
        [secret]: ["Expected no excess property"]
      })
      const messages = JSON.stringify(Object.values(errors))
      expect(messages).not.toContain(secret)
      for (const input of [secret, { pet: secret }, [secret]]) {
        expect(JSON.stringify(Object.values(errorsOf(Body, input)))).not.toContain(secret)
      }
    })
  })
})
