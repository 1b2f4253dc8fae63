/**
 * An OpenAPI v2 document (a cluster's `/openapi/v2`, or Kubernetes' `api/openapi-spec/swagger.json`) → a
 * standalone schema file per group/version/kind it defines.
 */
import { readFile } from 'node:fs/promises'
import { ConfigError, codeFrame } from '../errors.js'
import { convertChildren, describedAs, INT_OR_STRING, isSchema, type Schema } from './convert.js'
import {
  FLAVOURS,
  invalidName,
  normalizeKubernetesVersion,
  schemaPath,
  withTypeMeta,
  type GroupVersionKind,
  type SchemaOptions,
  type SchemaSet,
} from './layout.js'
import { findKeywords, pointer, withoutIdentifiers } from './references.js'

const DEFINITION_PREFIX = '#/definitions/'
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity'
/** Quantities are written as `100m` or `1Gi`, and as plain numbers (`cpu: 2`). */
const STRING_OR_NUMBER: Schema = { type: ['string', 'number'] }

const OPENAPI_HINT =
  'give an OpenAPI v2 document: `kubectl get --raw /openapi/v2 > swagger.json`, the api/openapi-spec/swagger.json ' +
  'of k8s.io/kubernetes (scripts/fetch-openapi.sh VERSION prints its path), or use --from-cluster'

/**
 * A schema file per group/version/kind the document defines, in both flavours. Definitions without a GVK
 * are only inlined where they are referenced.
 */
export function schemasFromOpenApi(openapi: object, options: SchemaOptions): SchemaSet {
  const version = normalizeKubernetesVersion(options.kubernetesVersion)
  const definitions = (openapi as { definitions?: Record<string, Schema> }).definitions ?? {}
  const files = new Map<string, object>()
  for (const flavour of FLAVOURS) {
    const inliner = new OpenApiInliner(definitions, flavour === 'standalone-strict')
    const checked = new WeakSet<object>()
    const memo = new WeakMap()
    for (const name of Object.keys(definitions).sort()) {
      const gvks = (definitions[name]?.['x-kubernetes-group-version-kind'] ?? []) as GroupVersionKind[]
      for (const gvk of gvks.filter((g) => g.version !== '__internal')) {
        const invalid = invalidName(gvk)
        if (invalid) {
          throw new ConfigError(`the OpenAPI definition ${name} has an invalid ${invalid}`, {
            hint: 'the document does not come from a Kubernetes API server; ' + OPENAPI_HINT,
          })
        }
        const schema = withTypeMeta(inliner.definition(name), gvk)
        // Inlining resolves the `$ref`s of the places Kubernetes uses; one anywhere else would be loaded.
        const [ref] = findKeywords(schema, ['$ref'], checked)
        if (ref) {
          throw new ConfigError(`the OpenAPI definition ${name} has a $ref that cannot be inlined (${pointer(ref.path, '$ref')}: ${JSON.stringify(ref.value)})`, {
            hint: 'the document does not come from a Kubernetes API server; ' + OPENAPI_HINT,
          })
        }
        files.set(schemaPath(version, flavour, gvk), withoutIdentifiers(schema, memo))
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
    const converted = name === QUANTITY ? describedAs(STRING_OR_NUMBER, definition) : this.schema(definition, false)
    this.onPath.delete(name)
    this.done.set(name, converted)
    return converted
  }

  private schema(node: Schema, inBranch: boolean): Schema {
    if (typeof node.$ref === 'string') {
      const { $ref, ...siblings } = node
      const resolved = this.definition($ref.startsWith(DEFINITION_PREFIX) ? $ref.slice(DEFINITION_PREFIX.length) : $ref)
      return Object.keys(siblings).length === 0 ? resolved : { ...resolved, ...siblings }
    }
    // IntOrString, and any field declared with its format.
    if (node.format === 'int-or-string') return describedAs(INT_OR_STRING, node)
    return convertChildren(node, (child, branch) => this.schema(child, branch), this.strict, inBranch)
  }
}

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
