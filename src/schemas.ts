/**
 * OpenAPI v2 documents and CRDs → JSON schemas in kubeconform's folder layout (design §7), so kubeconform
 * validates offline: `<version>-standalone[-strict]/<kind>[-<group label>]-<version>.json`, every `$ref`
 * inlined, and in the strict flavour no field the API server would drop as unknown.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ConfigError, UsageError, codeFrame } from './errors.js'

export interface SchemaSet {
  /** Relative path (e.g. `v1.32.13-standalone-strict/daemonset-apps-v1.json`) → schema. */
  files: Map<string, object>
}

export interface SchemaOptions {
  /** With or without the leading `v` (`1.32.13`, `v1.32.13`), or `master`. */
  kubernetesVersion: string
}

type Schema = Record<string, unknown>
type Flavour = 'standalone' | 'standalone-strict'

interface GroupVersionKind {
  group: string
  version: string
  kind: string
}

const FLAVOURS: readonly Flavour[] = ['standalone', 'standalone-strict']
const DEFINITION_PREFIX = '#/definitions/'
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity'
const PRESERVE_UNKNOWN = 'x-kubernetes-preserve-unknown-fields'
const INT_OR_STRING: Schema = { type: ['string', 'integer'] }
/** Quantities are written as `100m` or `1Gi`, and as plain numbers (`cpu: 2`). */
const STRING_OR_NUMBER: Schema = { type: ['string', 'number'] }

/** kubeconform's version folder name: `v1.33` and `1.33` → `v1.33.0`, `1.32.4` → `v1.32.4`, `master` stays. */
export function normalizeKubernetesVersion(version: string): string {
  const trimmed = version.trim()
  if (trimmed === 'master') return 'master'
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(trimmed)
  if (!match) {
    throw new UsageError(`invalid Kubernetes version '${version}'`, {
      hint: 'give it as X.Y.Z (1.32.4), X.Y (1.33 means 1.33.0), with or without a leading v, or master',
    })
  }
  return `v${match[1]}.${match[2]}.${match[3] ?? '0'}`
}

/** A schema file per group/version/kind the document defines, in both flavours. */
export function schemasFromOpenApi(openapi: object, options: SchemaOptions): SchemaSet {
  const version = normalizeKubernetesVersion(options.kubernetesVersion)
  const definitions = (openapi as { definitions?: Record<string, Schema> }).definitions ?? {}
  const files = new Map<string, object>()
  for (const flavour of FLAVOURS) {
    const inliner = new OpenApiInliner(definitions, flavour === 'standalone-strict')
    for (const name of Object.keys(definitions).sort()) {
      const gvks = (definitions[name]?.['x-kubernetes-group-version-kind'] ?? []) as GroupVersionKind[]
      for (const gvk of gvks.filter((g) => g.version !== '__internal')) {
        files.set(schemaPath(version, flavour, gvk), withTypeMeta(inliner.definition(name), gvk))
      }
    }
  }
  return { files }
}

/** Replaces `$ref`s by their definitions, each converted once per flavour and then shared. */
class OpenApiInliner {
  private readonly done = new Map<string, Schema>()
  private readonly onPath = new Set<string>()

  constructor(
    private readonly definitions: Record<string, Schema>,
    private readonly strict: boolean,
  ) {}

  definition(name: string): Schema {
    const cached = this.done.get(name)
    if (cached) return cached
    // A definition that contains itself (JSONSchemaProps) accepts anything from its second appearance on.
    if (this.onPath.has(name)) return {}
    const definition = this.definitions[name]
    if (!definition) return {}
    this.onPath.add(name)
    const converted =
      name === QUANTITY ? describedAs(STRING_OR_NUMBER, definition) : this.schema(definition)
    this.onPath.delete(name)
    this.done.set(name, converted)
    return converted
  }

  private schema(node: Schema): Schema {
    if (typeof node.$ref === 'string') {
      const { $ref, ...siblings } = node
      const resolved = this.definition($ref.startsWith(DEFINITION_PREFIX) ? $ref.slice(DEFINITION_PREFIX.length) : $ref)
      return Object.keys(siblings).length === 0 ? resolved : { ...resolved, ...siblings }
    }
    // IntOrString, and any field declared with its format.
    if (node.format === 'int-or-string') return describedAs(INT_OR_STRING, node)
    return convertChildren(node, (child) => this.schema(child), this.strict)
  }
}

/**
 * A schema file per served version of each CRD (apiextensions v1, and v1beta1's `spec.validation` and
 * `spec.version`), in both flavours. A version without a schema accepts any content.
 */
export function schemasFromCrds(crds: object[], options: SchemaOptions): SchemaSet {
  const version = normalizeKubernetesVersion(options.kubernetesVersion)
  const files = new Map<string, object>()
  for (const crd of crds) {
    const spec = ((crd as { spec?: unknown }).spec ?? {}) as CrdSpec
    const kind = spec.names?.kind
    if (typeof spec.group !== 'string' || typeof kind !== 'string') continue
    for (const served of servedVersions(spec)) {
      const gvk = { group: spec.group, version: served.name, kind }
      const source = served.schema ?? { type: 'object', [PRESERVE_UNKNOWN]: true }
      for (const flavour of FLAVOURS) {
        const converted = convertCrdSchema(source, flavour === 'standalone-strict')
        files.set(schemaPath(version, flavour, gvk), withTypeMeta(withObjectMeta(converted), gvk))
      }
    }
  }
  return { files }
}

interface CrdSpec {
  group?: unknown
  names?: { kind?: unknown }
  version?: unknown
  versions?: Array<{ name?: unknown; served?: unknown; schema?: { openAPIV3Schema?: Schema } }>
  validation?: { openAPIV3Schema?: Schema }
}

function servedVersions(spec: CrdSpec): Array<{ name: string; schema?: Schema }> {
  const shared = spec.validation?.openAPIV3Schema
  if (Array.isArray(spec.versions) && spec.versions.length > 0) {
    return spec.versions
      .filter((v) => typeof v.name === 'string' && v.served !== false)
      .map((v) => ({ name: v.name as string, schema: v.schema?.openAPIV3Schema ?? shared }))
  }
  return typeof spec.version === 'string' ? [{ name: spec.version, schema: shared }] : []
}

function convertCrdSchema(node: Schema, strict: boolean): Schema {
  const converted = convertChildren(node, (child) => convertCrdSchema(child, strict), strict)
  if (node['x-kubernetes-int-or-string'] === true) Object.assign(converted, INT_OR_STRING)
  return node.nullable === true ? nullable(converted) : converted
}

/**
 * A copy of `node` with its sub-schemas converted. Optional properties accept null (the API server reads
 * null as absent); in strict mode an object with properties takes no others, unless it says otherwise.
 */
function convertChildren(node: Schema, convert: (child: Schema) => Schema, strict: boolean): Schema {
  const out: Schema = { ...node }
  if (isSchema(node.properties)) {
    const required = new Set(Array.isArray(node.required) ? node.required : [])
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => {
        if (!isSchema(child)) return [key, child]
        return [key, required.has(key) ? convert(child) : nullable(convert(child))]
      }),
    )
    if (strict && node.additionalProperties === undefined && node[PRESERVE_UNKNOWN] !== true) {
      out.additionalProperties = false
    }
  }
  if (isSchema(node.items)) out.items = convert(node.items)
  else if (Array.isArray(node.items)) out.items = node.items.map((i) => (isSchema(i) ? convert(i) : i))
  if (isSchema(node.additionalProperties)) out.additionalProperties = convert(node.additionalProperties)
  if (isSchema(node.not)) out.not = convert(node.not)
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key]
    if (Array.isArray(list)) out[key] = list.map((s) => (isSchema(s) ? convert(s) : s))
  }
  return out
}

/** `schema` also accepting null: `null` joins its type, and its enum, which would refuse null otherwise. */
function nullable(schema: Schema): Schema {
  const type = schema.type
  if (type === undefined || type === 'null' || (Array.isArray(type) && type.includes('null'))) return schema
  const out: Schema = { ...schema, type: [...(Array.isArray(type) ? type : [type]), 'null'] }
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null]
  return out
}

function describedAs(shape: Schema, definition: Schema): Schema {
  return typeof definition.description === 'string' ? { description: definition.description, ...shape } : { ...shape }
}

/** `apiVersion` and `kind` pinned to the file's GVK: strings, never null, and only this kind's. */
function withTypeMeta(schema: Schema, gvk: GroupVersionKind): Schema {
  const properties = isSchema(schema.properties) ? schema.properties : {}
  const pinned = (existing: unknown, value: string): Schema => ({
    ...(isSchema(existing) ? existing : {}),
    type: 'string',
    enum: [value],
  })
  return {
    ...schema,
    properties: {
      ...properties,
      apiVersion: pinned(properties.apiVersion, gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`),
      kind: pinned(properties.kind, gvk.kind),
    },
  }
}

/** CRD schemas may leave `metadata` out: the API server supplies ObjectMeta whatever the schema says. */
function withObjectMeta(schema: Schema): Schema {
  const properties = isSchema(schema.properties) ? schema.properties : {}
  if (properties.metadata !== undefined) return schema
  return { ...schema, type: schema.type ?? 'object', properties: { ...properties, metadata: { type: 'object' } } }
}

function schemaPath(version: string, flavour: Flavour, gvk: GroupVersionKind): string {
  const groupLabel = gvk.group === '' ? '' : `-${gvk.group.split('.')[0]}`
  return `${version}-${flavour}/${gvk.kind.toLowerCase()}${groupLabel}-${gvk.version}.json`
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every file of every set; where two sets hold the same path, the later one wins. */
export function mergeSchemaSets(...sets: SchemaSet[]): SchemaSet {
  const files = new Map<string, object>()
  for (const set of sets) for (const [path, schema] of set.files) files.set(path, schema)
  return { files }
}

/** Writes every schema under `dir` as key-sorted JSON (2-space indent, LF, final newline); returns how many. */
export async function writeSchemaSet(set: SchemaSet, dir: string): Promise<number> {
  const paths = [...set.files.keys()].sort()
  await Promise.all([...new Set(paths.map((p) => dirname(join(dir, p))))].map((d) => mkdir(d, { recursive: true })))
  // A batch at a time: a thousand files opened at once can exhaust file descriptors.
  const batchSize = 64
  for (let start = 0; start < paths.length; start += batchSize) {
    await Promise.all(
      paths
        .slice(start, start + batchSize)
        .map((p) => writeFile(join(dir, p), `${JSON.stringify(set.files.get(p), sortedKeys, 2)}\n`)),
    )
  }
  return paths.length
}

function sortedKeys(_key: string, value: unknown): unknown {
  return isSchema(value) ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]])) : value
}

const OPENAPI_HINT =
  'give an OpenAPI v2 document: `kubectl get --raw /openapi/v2 > swagger.json`, the api/openapi-spec/swagger.json ' +
  'of k8s.io/kubernetes (scripts/fetch-openapi.sh VERSION prints its path), or use --from-cluster'

/** Reads an OpenAPI v2 document (a cluster's `/openapi/v2`, or Kubernetes' `api/openapi-spec/swagger.json`). */
export async function readOpenApiFile(path: string): Promise<object> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'
    throw new ConfigError(`the OpenAPI document ${path} ${reason}`, { file: path, hint: OPENAPI_HINT, cause })
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (cause) {
    const offset = /position (\d+)/.exec((cause as Error).message)?.[1]
    const at = offset === undefined ? undefined : lineAndColumn(text, Number(offset))
    throw new ConfigError(`${path} is not JSON: ${(cause as Error).message}`, {
      file: path,
      ...at,
      frame: at && codeFrame(text, at.line, at.col),
      hint: OPENAPI_HINT,
      cause,
    })
  }
  if (!isSchema(document) || !isSchema(document.definitions)) {
    throw new ConfigError(`${path} has no \`definitions\`: it is not an OpenAPI v2 document`, {
      file: path,
      hint: `${OPENAPI_HINT}; OpenAPI v3 (/openapi/v3) is not supported`,
    })
  }
  return document
}

function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 }
}
