/**
 * CustomResourceDefinitions → a standalone schema file per served version, so the custom resources of a
 * set validate like built-in ones.
 */
import { ManifestError, type ErrorDetails } from '../errors.js'
import { convertChildren, INT_OR_STRING, isSchema, nullable, PRESERVE_UNKNOWN, type Schema } from './convert.js'
import {
  FLAVOURS,
  invalidName,
  normalizeKubernetesVersion,
  schemaPath,
  withTypeMeta,
  type SchemaOptions,
  type SchemaSet,
} from './layout.js'
import { findKeywords, pointer, withoutIdentifiers, type SchemaPath } from './references.js'

export interface CrdSchemaOptions extends SchemaOptions {
  /** Where a CRD's field at `path` is in its file, for errors; CRDs read from files have a place. */
  locate?: (crd: object, path: SchemaPath) => ErrorDetails | undefined
}

interface Crd {
  apiVersion?: unknown
  metadata?: { name?: unknown }
  spec?: CrdSpec
}

interface CrdSpec {
  group?: unknown
  names?: { kind?: unknown }
  preserveUnknownFields?: unknown
  version?: unknown
  versions?: Array<{ name?: unknown; served?: unknown; schema?: { openAPIV3Schema?: Schema } }>
  validation?: { openAPIV3Schema?: Schema }
}

/**
 * A schema file per served version of each CRD (apiextensions v1, and v1beta1's `spec.validation` and
 * `spec.version`), in both flavours. A version without a schema accepts any content. A CRD without a group
 * or kind is left to kubeconform, which reports it against the CRD schema. A `$ref` is refused, as the API
 * server refuses it: kubeconform would load it, from a URL or a local file.
 */
export function schemasFromCrds(crds: object[], options: CrdSchemaOptions): SchemaSet {
  const version = normalizeKubernetesVersion(options.kubernetesVersion)
  const files = new Map<string, object>()
  for (const crd of crds as Crd[]) {
    const spec = crd.spec ?? {}
    const kind = spec.names?.kind
    if (typeof spec.group !== 'string' || typeof kind !== 'string') continue
    // v1beta1 kept unknown fields unless told not to; v1 always prunes them, and strict rejects them.
    const keepsUnknown =
      spec.preserveUnknownFields === true ||
      (crd.apiVersion === 'apiextensions.k8s.io/v1beta1' && spec.preserveUnknownFields !== false)
    for (const served of servedVersions(spec)) {
      if (served.schema) refuseReferences(crd, served.schema, served.at, options)
      const gvk = { group: spec.group, version: served.name, kind }
      const invalid = invalidName(gvk)
      if (invalid) {
        throw new ManifestError(`CustomResourceDefinition ${String(crd.metadata?.name)} has an invalid ${invalid}`, {
          hint: 'the API server refuses it too: the kind (lower-cased) and the version must be DNS labels, the group a DNS subdomain',
        })
      }
      const source = served.schema ?? { type: 'object', [PRESERVE_UNKNOWN]: true }
      for (const flavour of FLAVOURS) {
        const root = crdRoot(source, flavour === 'standalone-strict' && !keepsUnknown)
        files.set(schemaPath(version, flavour, gvk), withoutIdentifiers(withTypeMeta(root, gvk)))
      }
    }
  }
  return { files }
}

function servedVersions(spec: CrdSpec): Array<{ name: string; schema?: Schema; at: SchemaPath }> {
  const shared = spec.validation?.openAPIV3Schema
  const sharedAt = ['spec', 'validation', 'openAPIV3Schema']
  if (Array.isArray(spec.versions) && spec.versions.length > 0) {
    return spec.versions
      .map((v, i) => ({ v, i }))
      .filter(({ v }) => typeof v.name === 'string' && v.served !== false)
      .map(({ v, i }) => {
        const own = v.schema?.openAPIV3Schema
        return { name: v.name as string, schema: own ?? shared, at: own ? ['spec', 'versions', i, 'schema', 'openAPIV3Schema'] : sharedAt }
      })
  }
  return typeof spec.version === 'string' ? [{ name: spec.version, schema: shared, at: sharedAt }] : []
}

function refuseReferences(crd: Crd, schema: Schema, at: SchemaPath, options: CrdSchemaOptions): void {
  const [ref] = findKeywords(schema, ['$ref'])
  if (!ref) return
  const path = [...at, ...ref.path, '$ref']
  throw new ManifestError(
    `CustomResourceDefinition ${String(crd.metadata?.name)}: $ref is not supported in a CRD schema ` +
      `(${pointer(path)}: ${JSON.stringify(ref.value)})`,
    {
      ...options.locate?.(crd, path),
      hint: 'the API server refuses it too ("$ref is not supported"), and kubeconform would load it from where it points; ' +
        'write the referenced schema out in place',
    },
  )
}

/**
 * The API server checks `metadata` as ObjectMeta whatever the CRD says (a CRD may only narrow `name` and
 * `generateName`), so it stays open even in strict mode, and is added where the schema leaves it out.
 */
function crdRoot(source: Schema, strict: boolean): Schema {
  const converted = convertCrdSchema(source, strict, false)
  const properties = isSchema(converted.properties) ? converted.properties : {}
  const metadata = isSchema(source.properties) && isSchema(source.properties.metadata) ? source.properties.metadata : {}
  return {
    ...converted,
    type: converted.type ?? 'object',
    properties: { ...properties, metadata: convertCrdSchema({ type: 'object', ...metadata }, false, false) },
  }
}

function convertCrdSchema(node: Schema, strict: boolean, inBranch: boolean): Schema {
  const converted = convertChildren(node, (child, branch) => convertCrdSchema(child, strict, branch), strict, inBranch)
  if (node['x-kubernetes-int-or-string'] === true) {
    Object.assign(converted, INT_OR_STRING)
    // The usual `anyOf: [{type: integer}, {type: string}]` says the same, and would refuse null.
    if (isPlainIntOrString(converted.anyOf)) delete converted.anyOf
  }
  if (node['x-kubernetes-embedded-resource'] === true && isSchema(converted.properties)) {
    // An embedded object is a whole resource: its type and object meta are always allowed.
    converted.properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...converted.properties,
    }
  }
  return node.nullable === true ? nullable(converted) : converted
}

function isPlainIntOrString(anyOf: unknown): boolean {
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return false
  const types = anyOf.map((s) => (isSchema(s) && Object.keys(s).length === 1 ? s.type : undefined))
  return types.includes('integer') && types.includes('string')
}
