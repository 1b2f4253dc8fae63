/**
 * What in a JSON schema makes kubeconform's compiler (santhosh-tekuri/jsonschema v6, draft 4 by default)
 * reach outside the file: a `$ref` to another document or URL, a `$schema` naming a meta-schema it does not
 * know (loaded from its URL, at any depth), and `id`/`$id`, which re-base the `$ref`s below them. Only
 * schema positions count, as the compiler walks them: `properties` maps names to schemas, so a field
 * named `$ref` is just a field, and `default` or `enum` values are data.
 */
import { isSchema, type Schema } from './convert.js'

export type SchemaPath = Array<string | number>

export interface SchemaKeyword {
  /** Where the keyword's schema is, from the root. */
  path: SchemaPath
  keyword: string
  value: unknown
}

/** Draft 4's subschema positions (jsonschema's Draft4.subschemas). */
const SCHEMA_VALUED = ['not', 'additionalProperties', 'additionalItems', 'items']
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'items']
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', 'dependencies']

export const IDENTIFIERS = ['$schema', 'id', '$id'] as const

/** Calls `visit` on every schema node under `node`, each shared node once. */
function eachSchema(node: unknown, path: SchemaPath, seen: WeakSet<object>, visit: (schema: Schema, path: SchemaPath) => void): void {
  if (!isSchema(node) || seen.has(node)) return
  seen.add(node)
  visit(node, path)
  for (const key of SCHEMA_VALUED) eachSchema(node[key], [...path, key], seen, visit)
  for (const key of SCHEMA_LISTS) {
    const list = node[key]
    if (Array.isArray(list)) list.forEach((child, i) => eachSchema(child, [...path, key, i], seen, visit))
  }
  for (const key of SCHEMA_MAPS) {
    const map = node[key]
    if (isSchema(map)) for (const [name, child] of Object.entries(map)) eachSchema(child, [...path, key, name], seen, visit)
  }
}

/** Every occurrence of `keywords` at a schema position, in document order; nodes in `seen` are skipped. */
export function findKeywords(schema: unknown, keywords: readonly string[], seen = new WeakSet<object>()): SchemaKeyword[] {
  const found: SchemaKeyword[] = []
  eachSchema(schema, [], seen, (node, path) => {
    for (const keyword of keywords) if (keyword in node) found.push({ path, keyword, value: node[keyword] })
  })
  return found
}

/**
 * The keywords of a schema file that make the compiler load something other than the file: `$ref`s that
 * are not fragments of it, unknown meta-schemas, and identifiers that re-base its `$ref`s.
 */
export function externalReferences(schema: unknown): SchemaKeyword[] {
  return findKeywords(schema, ['$ref', ...IDENTIFIERS]).filter(({ keyword, value }) => {
    if (typeof value !== 'string') return false
    if (keyword === '$ref') return !value.startsWith('#')
    if (keyword === '$schema') return !KNOWN_DRAFTS.test(value)
    return !value.startsWith('#') && value !== ''
  })
}

/** The meta-schemas the compiler carries (draftFromURL): naming one loads nothing. */
const KNOWN_DRAFTS =
  /^https?:\/\/json-schema\.org\/(schema|draft\/2020-12\/schema|draft\/2019-09\/schema|draft-0[467]\/schema)#?$/

/**
 * `schema` without `$schema`, `id` and `$id` at any schema position: the schemas we write are draft 4
 * (kubeconform's default) and self-contained, and none of these serves validation. Shared subtrees stay
 * shared: `memo` converts each once.
 */
export function withoutIdentifiers(schema: Schema, memo = new WeakMap<Schema, Schema>()): Schema {
  const done = memo.get(schema)
  if (done) return done
  const out: Schema = { ...schema }
  for (const keyword of IDENTIFIERS) delete out[keyword]
  memo.set(schema, out)
  const sub = (child: unknown) => (isSchema(child) ? withoutIdentifiers(child, memo) : child)
  for (const key of SCHEMA_VALUED) if (key in out) out[key] = sub(out[key])
  for (const key of SCHEMA_LISTS) {
    const list = out[key]
    if (Array.isArray(list)) out[key] = list.map(sub)
  }
  for (const key of SCHEMA_MAPS) {
    const map = out[key]
    if (isSchema(map)) out[key] = Object.fromEntries(Object.entries(map).map(([name, child]) => [name, sub(child)]))
  }
  return out
}

/** A path as a JSON pointer, for messages: `/properties/spec/$ref`. */
export function pointer(path: SchemaPath, keyword?: string): string {
  return [...path, ...(keyword ? [keyword] : [])].map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
}
