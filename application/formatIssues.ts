import { type Schema, SchemaIssue } from "effect"

const standard = SchemaIssue.makeFormatterStandardSchemaV1()

/** A schema failure as field → messages, the `errors` of a 400 answer. Root issues go under `body`. */
export const formatIssues = (error: Schema.SchemaError): Record<string, Array<string>> => {
  // No prototype: a field named like an Object method ("valueOf", "__proto__") is just a field.
  const errors: Record<string, Array<string>> = Object.create(null)
  for (const issue of standard(error.issue).issues) {
    const path = (issue.path ?? []).map((segment) =>
      String(typeof segment === "object" ? segment.key : segment)
    )
    const field = path.length === 0 ? "body" : path.join(".")
    const messages = errors[field] ?? []
    messages.push(issue.message)
    errors[field] = messages
  }
  return errors
}
