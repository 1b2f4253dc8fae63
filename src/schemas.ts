/**
 * OpenAPI v2 documents and CRDs → JSON schemas in kubeconform's folder layout (design §7), so kubeconform
 * validates offline: `<version>-standalone[-strict]/<kind>[-<group label>]-<version>.json`, every `$ref`
 * inlined, and in the strict flavour no field the API server would reject as unknown.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { SchemaSet } from './schemas/layout.js'

export { schemasFromCrds, type CrdSchemaOptions } from './schemas/crds.js'
export { checkSchemaLocations, isRemoteLocation } from './schemas/locations.js'
export { kubernetesRelease, normalizeKubernetesVersion, type SchemaOptions, type SchemaSet } from './schemas/layout.js'
export { readOpenApiFile, schemasFromOpenApi } from './schemas/openapi.js'

/** Every file of every set; where two sets hold the same path, the later one wins. */
export function mergeSchemaSets(...sets: SchemaSet[]): SchemaSet {
  const files = new Map<string, object>()
  for (const set of sets) for (const [path, schema] of set.files) files.set(path, schema)
  return { files }
}

/**
 * Writes every schema under `dir` as compact JSON with a final newline (validate writes the set's CRD schemas
 * on every run, and kubeconform reads them all); the same set gives the same bytes. Returns how many.
 */
export async function writeSchemaSet(set: SchemaSet, dir: string): Promise<number> {
  // Written in any order: each file's bytes depend only on its schema.
  const paths = [...set.files.keys()]
  // The folder itself too: callers rename it into place even when the set is empty.
  await mkdir(dir, { recursive: true })
  await Promise.all([...new Set(paths.map((p) => dirname(join(dir, p))))].map((d) => mkdir(d, { recursive: true })))
  // A batch at a time: a thousand files opened at once can exhaust file descriptors.
  const batchSize = 64
  for (let start = 0; start < paths.length; start += batchSize) {
    await Promise.all(
      paths
        .slice(start, start + batchSize)
        .map((p) => writeFile(join(dir, p), `${JSON.stringify(set.files.get(p))}\n`)),
    )
  }
  return paths.length
}
