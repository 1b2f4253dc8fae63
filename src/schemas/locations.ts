/**
 * A local `--schema-location` is input like the manifests: its schema files may come from the same
 * repository nobody here controls. Before kubeconform runs, the files it would read for the set's kinds
 * are checked for references that would make it load another file or a URL.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { UsageError } from '../errors.js'
import { externalReferences, pointer } from './references.js'

/** kubeconform's template for a location that does not name a `.json` file itself (registry.New). */
const FOLDER_LAYOUT = '/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'

export function isRemoteLocation(location: string): boolean {
  return location === 'default' || /^[a-z][a-z0-9+.-]*:\/\//i.test(location)
}

export interface LocationCheck {
  /** `x.y.z` or `master`. */
  kubernetesVersion: string
  /** The user trusts the locations: references out of them are theirs to allow. */
  allowExternalRefs?: boolean
}

/**
 * Refuses a local location that does not exist (a typo would only show as "no schema" findings) and,
 * unless allowed, a schema file for one of `resources`' kinds that refers outside itself. Remote locations
 * are the user's choice of server and are not read here.
 */
export async function checkSchemaLocations(
  locations: string[],
  resources: Array<{ apiVersion: string; kind: string }>,
  options: LocationCheck,
): Promise<void> {
  const kinds = [...new Map(resources.map((r) => [`${r.apiVersion}\0${r.kind}`, r])).values()]
  for (const location of locations.filter((l) => !isRemoteLocation(l))) {
    const template = location.endsWith('json') ? location : location + FOLDER_LAYOUT
    // A template's folder is what precedes its first field.
    const root = location.includes('{{') ? dirname(`${location.slice(0, location.indexOf('{{'))}_`) : location
    if (!(await stat(root).then(() => true, () => false))) {
      throw new UsageError(`schema location ${location} does not exist`, {
        hint: 'check --schema-location; `kubectl pharos-net schemas ... -d DIR` writes a schema folder',
      })
    }
    if (options.allowExternalRefs) continue
    for (const resource of kinds) {
      const file = kubeconformSchemaFile(template, resource, options.kubernetesVersion)
      const text = await readFile(file, 'utf8').catch(() => undefined)
      // Our own schemas hold no reference keyword but as a field name (JSONSchemaProps): parse only then.
      if (text === undefined || !/"(\$ref|\$schema|\$?id)"/.test(text)) continue
      let schema: unknown
      try {
        schema = JSON.parse(text)
      } catch {
        continue // kubeconform reports a file that is not JSON itself
      }
      const [reference] = externalReferences(schema)
      if (reference) {
        throw new UsageError(
          `schema file ${file} refers outside itself: ${reference.keyword} ${JSON.stringify(reference.value)} at ` +
            `${pointer(reference.path, reference.keyword)}; kubeconform would load it`,
          {
            file,
            hint: 'a schema folder from `kubectl pharos-net schemas` is self-contained; if you trust this one and what it ' +
              'points at, pass --allow-external-refs',
          },
        )
      }
    }
  }
}

/** The file kubeconform reads for a resource with `-strict` (pkg/registry/registry.go: schemaPath). */
export function kubeconformSchemaFile(template: string, resource: { apiVersion: string; kind: string }, kubernetesVersion: string): string {
  const [groupOrVersion = '', version] = resource.apiVersion.split('/')
  const kindSuffix = `-${(groupOrVersion.split('.')[0] ?? '').toLowerCase()}${version === undefined ? '' : `-${version.toLowerCase()}`}`
  const fields: Record<string, string> = {
    NormalizedKubernetesVersion: kubernetesVersion === 'master' ? 'master' : `v${kubernetesVersion}`,
    StrictSuffix: '-strict',
    ResourceKind: resource.kind.toLowerCase(),
    ResourceAPIVersion: version ?? groupOrVersion,
    Group: groupOrVersion,
    KindSuffix: kindSuffix,
  }
  return template.replace(/\{\{-?\s*\.(\w+)\s*-?\}\}/g, (whole, name: string) => fields[name] ?? whole)
}
