import { Schema, SchemaAST, SchemaIssue } from "effect"

const standard = SchemaIssue.makeFormatterStandardSchemaV1()

/** A value outside a fixed set: a `Schema.Literals` field, or the key a union of structs is told apart by. */
const oneOf = (values: ReadonlyArray<SchemaAST.LiteralValue>) =>
  `must be one of ${values.map(String).join(", ")}`

/**
 * What a union that matched no member stands for: a set of literals; structs told apart by one
 * key (a create body by `cms`), with the values that key may take and the fields every member
 * declares alike (same name, same schema), which can be checked on their own; or members that
 * each read as a phrase (`Schema.NullOr(X)`: X's phrase, or null), said as one sentence.
 */
type Unmatched =
  | { readonly _tag: "Literals"; readonly values: ReadonlyArray<SchemaAST.LiteralValue> }
  | {
      readonly _tag: "Discriminated"
      readonly key: PropertyKey
      readonly values: ReadonlyArray<SchemaAST.LiteralValue>
      readonly shared: Schema.Codec<unknown>
    }
  | { readonly _tag: "Described"; readonly message: string }

/**
 * A union's members, with those of unions inside it (http-api wraps each payload schema in a
 * union of its own); undefined when one of them states its own message or expectation, which
 * the standard formatter then gives.
 */
const membersOf = (union: SchemaAST.Union): ReadonlyArray<SchemaAST.AST> | undefined => {
  if (union.annotations?.message !== undefined || union.annotations?.expected !== undefined) return undefined
  const members: Array<SchemaAST.AST> = []
  for (const type of union.types) {
    const inner = SchemaAST.isUnion(type) ? membersOf(type) : [type]
    if (inner === undefined) return undefined
    members.push(...inner)
  }
  return members
}

const requiredLiteral = (member: SchemaAST.Objects, key: PropertyKey) => {
  const type = member.propertySignatures.find((field) => field.name === key)?.type
  return type !== undefined && SchemaAST.isLiteral(type) && !SchemaAST.isOptional(type) ? type : undefined
}

/** What a value of each kind is called, as JSON brings it. */
const kinds: Partial<Record<SchemaAST.AST["_tag"], string>> = {
  String: "a string",
  Number: "a number",
  Boolean: "a boolean",
  Objects: "an object",
  Arrays: "an array"
}

/** A schema and the schemas it is decoded from, the one the input must match last. */
const encodingChain = (ast: SchemaAST.AST): ReadonlyArray<SchemaAST.AST> => {
  const chain = [ast]
  let current = ast
  while (current.encoding !== undefined) {
    chain.push(...current.encoding.map((link) => link.to))
    current = current.encoding[current.encoding.length - 1]!.to
  }
  return chain
}

const checkExpectations = (check: SchemaAST.Check<unknown>): ReadonlyArray<string> => {
  const expected = check.annotations?.expected
  if (typeof expected === "string") return [expected]
  return check._tag === "FilterGroup" ? check.checks.flatMap(checkExpectations) : []
}

/** A required literal field or element: the union picks its candidates by it, whatever the input's kind. */
const hasSentinel = (ast: SchemaAST.AST) =>
  SchemaAST.isObjects(ast)
    ? ast.propertySignatures.some(
        (field) => SchemaAST.isLiteral(field.type) && !SchemaAST.isOptional(field.type)
      )
    : SchemaAST.isArrays(ast) && ast.elements.some((element) => SchemaAST.isLiteral(element))

/**
 * What a union member accepts, as a noun phrase: its `expected` annotation, else what its
 * checks expect ("an integer", "a hostname such as www.example.com"), else the kind of JSON
 * value it is decoded from ("a string"). Only the schemas of that same kind count (a number
 * decoded from a string is "a string"). Undefined when it has no such phrase.
 */
const describeMember = (member: SchemaAST.AST): string | undefined => {
  if (SchemaAST.isNull(member)) return "null"
  const chain = encodingChain(member)
  const wire = chain[chain.length - 1]!
  const kind = kinds[wire._tag]
  if (kind === undefined || hasSentinel(wire)) return undefined
  let start = chain.length - 1
  while (start > 0 && chain[start - 1]!._tag === wire._tag) start--
  const sameKind = chain.slice(start)
  const annotated = sameKind
    .map((ast) => ast.annotations?.expected)
    .find((expected) => typeof expected === "string")
  if (annotated !== undefined) return annotated
  const expectations = sameKind.toReversed().flatMap((ast) => (ast.checks ?? []).flatMap(checkExpectations))
  return expectations.length > 0 ? expectations.join(" and ") : kind
}

/** "a or b", "a, b or c"; with a comma before "or" when a phrase is more than a word or two ("…, or null"). */
const alternatives = (phrases: ReadonlyArray<string>) => {
  const last = phrases[phrases.length - 1]!
  if (phrases.length === 1) return last
  const plain = phrases.every((phrase) => /^(?:an? )?\w+$/.test(phrase))
  return `${phrases.slice(0, -1).join(", ")}${plain ? " or " : ", or "}${last}`
}

/** "must be …" from each member's phrase (literals together as "one of …"); undefined if one has none. */
const mustBe = (members: ReadonlyArray<SchemaAST.AST>): string | undefined => {
  const literals = members.filter(SchemaAST.isLiteral).map((member) => member.literal)
  const phrases: Array<string> = []
  for (const member of members) {
    const phrase = SchemaAST.isLiteral(member)
      ? literals.length === 1
        ? String(literals[0])
        : `one of ${[...new Set(literals)].map(String).join(", ")}`
      : describeMember(member)
    if (phrase === undefined) return undefined
    if (!phrases.includes(phrase)) phrases.push(phrase)
  }
  return `must be ${alternatives(phrases)}`
}

const classify = (union: SchemaAST.Union): Unmatched | undefined => {
  const members = membersOf(union)
  if (members === undefined || members.length === 0) return undefined
  if (members.every(SchemaAST.isLiteral))
    return { _tag: "Literals", values: [...new Set(members.map((member) => member.literal))] }
  if (!members.every(SchemaAST.isObjects)) {
    const message = mustBe(members)
    return message === undefined ? undefined : { _tag: "Described", message }
  }
  const [first, ...rest] = members
  const keys = first!.propertySignatures
    .map((field) => field.name)
    .filter((name) => members.every((member) => requiredLiteral(member, name) !== undefined))
  // With two such keys, which one is at fault depends on the combination: left to the union's own message.
  if (keys.length !== 1) return undefined
  const key = keys[0]!
  const shared = first!.propertySignatures.filter(
    (field) =>
      field.name !== key &&
      rest.every((member) =>
        member.propertySignatures.some((other) => other.name === field.name && other.type === field.type)
      )
  )
  return {
    _tag: "Discriminated",
    key,
    values: [...new Set(members.map((member) => requiredLiteral(member, key)!.literal))],
    shared: Schema.make(new SchemaAST.Objects(shared, []))
  }
}

const classified = new WeakMap<SchemaAST.Union, Unmatched | null>()

const classifyOnce = (union: SchemaAST.Union): Unmatched | undefined => {
  let found = classified.get(union)
  if (found === undefined) {
    found = classify(union) ?? null
    classified.set(union, found)
  }
  return found ?? undefined
}

interface FieldIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const valueAt = (value: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (current, key) =>
      typeof current === "object" && current !== null
        ? (current as Record<PropertyKey, unknown>)[key]
        : undefined,
    value
  )

const isRecord = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A union that matched no member, said field by field: literals as the values allowed; structs
 * told apart by a key as that key's allowed values (when the input is an object at all) beside
 * the problems of the fields every member shares, as a struct would report them ("Expected
 * object" for anything else). Undefined for other unions.
 */
const unmatchedUnion = (
  union: SchemaAST.Union,
  input: unknown,
  path: ReadonlyArray<PropertyKey>
): Array<FieldIssue> | undefined => {
  const unmatched = classifyOnce(union)
  if (unmatched === undefined) return undefined
  if (unmatched._tag === "Literals") return [{ path, message: oneOf(unmatched.values) }]
  if (unmatched._tag === "Described") return [{ path, message: unmatched.message }]
  const issues: Array<FieldIssue> = isRecord(input)
    ? [{ path: [...path, unmatched.key], message: oneOf(unmatched.values) }]
    : []
  const shared = Schema.decodeUnknownResult(unmatched.shared)(input, { errors: "all" })
  if (shared._tag === "Failure") issues.push(...fieldIssues(shared.failure.issue, input, path))
  return issues
}

/** The union inside unions of one member and nothing else (http-api wraps each payload schema so). */
const soleUnion = (union: SchemaAST.Union): SchemaAST.Union => {
  const [only, ...others] = union.types
  return others.length === 0 &&
    only !== undefined &&
    SchemaAST.isUnion(only) &&
    union.annotations?.message === undefined &&
    union.annotations?.expected === undefined
    ? soleUnion(only)
    : union
}

/** The standard formatter's issues, with unions that matched no member explained by `unmatchedUnion`. */
const fieldIssues = (
  issue: SchemaIssue.Issue,
  input: unknown,
  path: ReadonlyArray<PropertyKey>
): Array<FieldIssue> => {
  switch (issue._tag) {
    case "Pointer":
      return fieldIssues(issue.issue, valueAt(input, issue.path), [...path, ...issue.path])
    case "Composite":
      return issue.issues.flatMap((inner) => fieldIssues(inner, input, path))
    case "AnyOf": {
      if (issue.issues.length > 0) return issue.issues.flatMap((inner) => fieldIssues(inner, input, path))
      const union = soleUnion(issue.ast)
      // The union a wrapper stands for fails in its stead, with its own message if it has one.
      if (union !== issue.ast) return fieldIssues(new SchemaIssue.AnyOf(union, []), input, path)
      const explained = unmatchedUnion(issue.ast, input, path)
      if (explained !== undefined) return explained
      break
    }
  }
  return standard(issue).issues.map((formatted) => ({
    path: [
      ...path,
      ...(formatted.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
    ],
    message: formatted.message
  }))
}

/**
 * A schema failure as field → messages, the `errors` of a 400 answer. Root issues go under
 * `body`. `input` is the value that failed to decode: with it, a body whose discriminator
 * (`cms`) names no member is reported under that field, beside its other fields' problems.
 */
export const formatIssues = (error: Schema.SchemaError, input: unknown): Record<string, Array<string>> => {
  // No prototype: a field named like an Object method ("valueOf", "__proto__") is just a field.
  const errors: Record<string, Array<string>> = Object.create(null)
  for (const issue of fieldIssues(error.issue, input, [])) {
    const field = issue.path.length === 0 ? "body" : issue.path.map(String).join(".")
    const messages = errors[field] ?? []
    messages.push(issue.message)
    errors[field] = messages
  }
  return errors
}
