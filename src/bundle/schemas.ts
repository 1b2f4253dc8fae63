/**
 * Exactly the schemas a manifest set needs, for a bundle that validates with no network: each kind's file in
 * kubeconform's layout, from local schema folders, a cluster's OpenAPI document, and the set's own CRDs.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ManifestDocument } from '../documents.js'
import { UsageError } from '../errors.js'
import { checkSchemaLocations, mergeSchemaSets, normalizeKubernetesVersion, schemasFromCrds, schemasFromOpenApi, type SchemaSet } from '../schemas.js'
import { FLAVOURS, schemaPath, type GroupVersionKind } from '../schemas/layout.js'
import { externalReferences, pointer } from '../schemas/references.js'
import { crdLocator } from '../validate.js'
import { byUtf8Bytes } from '../byte-order.js'

export interface BundleSchemaSources {
  documents: readonly ManifestDocument[]
  /** x.y.z or master. */
  kubernetesVersion: string
  /** Local schema folders in kubeconform's layout (`kubectl pharos-net schemas -d DIR`), searched in order. */
  locations: readonly string[]
  /** A cluster's /openapi/v2, or an OpenAPI file. */
  openapi?: object
  /** Schema files of `locations` may refer outside themselves. */
  allowExternalRefs?: boolean
}

/**
 * Both flavours of every kind of the set where a source has them; the strict one is required, since
 * kubeconform validates with `-strict`. A kind with none is an error naming every such kind.
 */
export async function collectBundleSchemas(sources: BundleSchemaSources): Promise<SchemaSet> {
  const versionDir = normalizeKubernetesVersion(sources.kubernetesVersion)
  const objects = sources.documents.map((d) => d.object)
  await checkSchemaLocations([...sources.locations], objects, sources)
  const crds = sources.documents.filter((d) => d.object.kind === 'CustomResourceDefinition')
  const generated = mergeSchemaSets(
    ...(sources.openapi ? [schemasFromOpenApi(sources.openapi, { kubernetesVersion: versionDir })] : []),
    schemasFromCrds(crds.map((d) => d.object), { kubernetesVersion: versionDir, locate: crdLocator(crds) }),
  )
  const files = new Map<string, object>()
  const missing: string[] = []
  for (const [apiVersion, gvk] of kindsOf(objects)) {
    for (const flavour of FLAVOURS) {
      const path = schemaPath(versionDir, flavour, gvk)
      const schema = generated.files.get(path) ?? (await readFromLocations(sources.locations, path, sources.allowExternalRefs))
      if (schema) files.set(path, schema)
      else if (flavour === 'standalone-strict') missing.push(`${gvk.kind} (${apiVersion})`)
    }
  }
  if (missing.length > 0) {
    throw new UsageError(`no schema for ${missing.join(', ')} in Kubernetes ${versionDir}: the bundle could not be validated offline`, {
      hint: 'give the schemas with --schema-location DIR (`kubectl pharos-net schemas ... -d DIR`) or --from-cluster; ' +
        'a kind the version removed needs --upgrade-apis or --drop-removed; a custom resource needs its CRD in the set',
    })
  }
  return { files: new Map([...files].sort(([a], [b]) => byUtf8Bytes(a, b))) }
}

/** Each apiVersion and kind of the set once, in the set's order. */
function kindsOf(objects: ReadonlyArray<{ apiVersion: string; kind: string }>): Array<[string, GroupVersionKind]> {
  const kinds = new Map<string, [string, GroupVersionKind]>()
  for (const { apiVersion, kind } of objects) {
    const slash = apiVersion.indexOf('/')
    kinds.set(`${apiVersion}\0${kind}`, [apiVersion, { group: slash === -1 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind }])
  }
  return [...kinds.values()]
}

/**
 * The first location's file at `path`. checkSchemaLocations looked at the strict flavour kubeconform reads;
 * a bundle carries the other one too, so a reference out of it is refused here as well.
 */
async function readFromLocations(locations: readonly string[], path: string, allowExternalRefs = false): Promise<object | undefined> {
  for (const location of locations) {
    const file = join(location, path)
    const text = await readFile(file, 'utf8').catch(() => undefined)
    if (text === undefined) continue
    let schema: object
    try {
      schema = JSON.parse(text) as object
    } catch {
      throw new UsageError(`schema file ${file} is not JSON`, { file, hint: 'regenerate the folder with `kubectl pharos-net schemas`' })
    }
    const [reference] = allowExternalRefs ? [] : externalReferences(schema)
    if (reference) {
      throw new UsageError(`schema file ${file} refers outside itself: ${reference.keyword} ${JSON.stringify(reference.value)} at ${pointer(reference.path, reference.keyword)}`, {
        file,
        hint: 'a schema folder from `kubectl pharos-net schemas` is self-contained; if you trust this one, pass --allow-external-refs',
      })
    }
    return schema
  }
  return undefined
}
