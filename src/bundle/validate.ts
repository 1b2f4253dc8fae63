/** `validate FILE.tgz`: the bundle's manifests against the bundle's own schemas, with no render and no network. */
import { dirname, relative } from 'node:path'
import { discoverRenderedManifests } from '../discover.js'
import { checkDocumentsOf } from '../documents.js'
import type { Limits } from '../limits.js'
import { applyApiOptions } from '../pipeline.js'
import { normalizeKubernetesVersion } from '../schemas.js'
import { validateManifestFiles, validateManifests, type ValidateOptions, type ValidationReport } from '../validate.js'
import { withOpenedBundle } from './bundle.js'

export type ValidateBundleOptions = Omit<ValidateOptions, 'documents' | 'removedApis' | 'kubernetesVersion'> & {
  /** Default: the version the bundle's schemas were made for. */
  kubernetesVersion?: string
  limits?: Limits
  upgradeApis?: boolean
  dropRemoved?: boolean
}

export async function validateBundle(file: string, options: ValidateBundleOptions): Promise<ValidationReport> {
  return withOpenedBundle(file, { limits: options.limits, tmpDir: options.tmpDir }, async (bundle) => {
    const kubernetesVersion = options.kubernetesVersion === undefined
      ? bundle.metadata.kubernetesVersion
      : normalizeKubernetesVersion(options.kubernetesVersion).replace(/^v/, '')
    const target = { ...options, kubernetesVersion, schemaLocations: [bundle.schemasDir, ...options.schemaLocations] }
    const sources = await discoverRenderedManifests(bundle.manifestsDir, options.limits)
    const report = options.upgradeApis || options.dropRemoved
      ? await validateManifests({ ...target, ...applyApiOptions(checkDocumentsOf(sources, options.limits), { ...options, kubernetesVersion }) })
      : await validateManifestFiles({ ...target, sources })
    // Name files as members of the bundle, not of the folder it was extracted into and that is gone.
    const root = dirname(bundle.manifestsDir)
    const member = (path: string) => (path.startsWith(`${root}/`) ? `${file}:${relative(root, path)}` : path)
    return { ...report, resources: report.resources.map((r) => ({ ...r, file: member(r.file) })) }
  })
}
