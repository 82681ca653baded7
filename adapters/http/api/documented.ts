import { Schema, SchemaAST } from "effect"
import { OpenApi } from "effect/http-api"

/**
 * Query fields, documented by what they decode to. A query value arrives as a string, so
 * http-api documents a field by its string form: an integer reads `{ type: string, pattern:
 * <any number> }`, and its checks (`limit` 1..200) are lost. OpenAPI reads a parameter's schema
 * as the value after deserialization, so each query parameter's schema is replaced by the JSON
 * Schema of the field's decoded type, derived from the same schema that validates it. Give
 * `fields` as the endpoint's query and annotate the endpoint with `document`.
 */
export const documentedQuery = <const Fields extends Schema.Struct.Fields>(fields: Fields) => {
  const schemas = new Map<string, unknown>()
  for (const [name, field] of Object.entries(fields)) {
    const document = Schema.toJsonSchemaDocument(decodedValue(field))
    if (Object.keys(document.definitions).length > 0) {
      throw new Error(`query field ${name}: a schema with definitions cannot be a parameter's`)
    }
    schemas.set(name, document.schema)
  }
  const document = (operation: Record<string, unknown>): Record<string, unknown> => ({
    ...operation,
    parameters: (operation.parameters as ReadonlyArray<{ readonly in: string; readonly name: string }>).map(
      (parameter) => {
        const schema = parameter.in === "query" ? schemas.get(parameter.name) : undefined
        return schema === undefined ? parameter : { ...parameter, schema }
      }
    )
  })
  return { fields, document: [OpenApi.Transform, document] as const }
}

/** The field's decoded type, without the `undefined` an optional field adds. */
const decodedValue = (field: Schema.Constraint): Schema.Constraint => {
  const type = SchemaAST.toType(field.ast)
  if (!SchemaAST.isUnion(type)) return Schema.make(type)
  const defined = type.types.filter((member) => !SchemaAST.isUndefined(member))
  return Schema.make(defined.length === 1 ? defined[0]! : new SchemaAST.Union(defined, type.options))
}

/**
 * `schema` with request examples for `/openapi.json`, written as a client sends them and
 * decoded by the schema itself when the module loads: an example that breaks a rule fails at
 * start, not in a reader's hands. Annotations land on a schema's last check when it has any,
 * so give the schema before its checks (and add them after) for the examples to sit at the top.
 */
export const withExamples = <S extends Schema.Codec<unknown, unknown>>(
  schema: S,
  examples: ReadonlyArray<S["Encoded"]>
): S =>
  // `annotate` rebuilds a schema of the same kind (a Struct stays a Struct).
  schema.annotate({ examples: examples.map((example) => Schema.decodeUnknownSync(schema)(example)) }) as S
