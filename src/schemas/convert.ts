/**
 * The rules shared by OpenAPI definitions and CRD schemas for turning a Kubernetes schema into a JSON schema
 * (draft 4, kubeconform's default) that accepts what the API server accepts.
 */

export type Schema = Record<string, unknown>

export const PRESERVE_UNKNOWN = 'x-kubernetes-preserve-unknown-fields'
export const INT_OR_STRING: Schema = { type: ['string', 'integer'] }

/**
 * A copy of `node` with its sub-schemas converted. Optional properties accept null (the API server reads
 * null as absent); in strict mode an object with properties takes no others, unless it says otherwise.
 * Neither applies under allOf/anyOf/oneOf/not: those only add checks to fields declared beside them (a
 * closed or null-accepting branch would refuse valid objects, or accept invalid ones under `not`).
 */
export function convertChildren(
  node: Schema,
  convert: (child: Schema, inBranch: boolean) => Schema,
  strict: boolean,
  inBranch: boolean,
): Schema {
  const out: Schema = { ...node }
  const sub = (child: Schema) => convert(child, inBranch)
  if (isSchema(node.properties)) {
    const required = new Set(Array.isArray(node.required) ? node.required : [])
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => {
        if (!isSchema(child)) return [key, child]
        return [key, required.has(key) || inBranch ? sub(child) : nullable(sub(child))]
      }),
    )
    if (strict && !inBranch && node.additionalProperties === undefined && node[PRESERVE_UNKNOWN] !== true) {
      out.additionalProperties = false
    }
  }
  if (isSchema(node.items)) out.items = sub(node.items)
  else if (Array.isArray(node.items)) out.items = node.items.map((i) => (isSchema(i) ? sub(i) : i))
  if (isSchema(node.additionalProperties)) out.additionalProperties = sub(node.additionalProperties)
  if (isSchema(node.not)) out.not = convert(node.not, true)
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key]
    if (Array.isArray(list)) out[key] = list.map((s) => (isSchema(s) ? convert(s, true) : s))
  }
  return out
}

/** `schema` also accepting null: `null` joins its type, and its enum, which would refuse null otherwise. */
export function nullable(schema: Schema): Schema {
  const type = schema.type
  if (type === undefined || type === 'null' || (Array.isArray(type) && type.includes('null'))) return schema
  const out: Schema = { ...schema, type: [...(Array.isArray(type) ? type : [type]), 'null'] }
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null]
  return out
}

/** `shape` with the description of the definition it stands for. */
export function describedAs(shape: Schema, definition: Schema): Schema {
  return typeof definition.description === 'string' ? { description: definition.description, ...shape } : { ...shape }
}

export function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
