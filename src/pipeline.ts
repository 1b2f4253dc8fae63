/**
 * The render half of the pipeline, shared by every command that needs the manifest set:
 * cluster.yml → sources → rendered text → checked documents → removed APIs upgraded or reported.
 */
import { loadClusterConfig, type LoadedClusterConfig } from './config.js'
import { discoverManifests, discoverRenderedManifests, type DiscoveredManifests } from './discover.js'
import { checkDocuments, checkDocumentsOf, documentKey, type ManifestDocument } from './documents.js'
import { ConfigError, type Diagnostic } from './errors.js'
import { checkRegistry, findContainerImages, imageRewrites, type ImageRewrite } from './images.js'
import { DEFAULT_LIMITS, type Limits } from './limits.js'
import {
  findRemovedApis,
  upgradeRemovedApis,
  type ApiUpgrade,
  type RemovedApiFinding,
} from './removed-apis.js'
import { networkDiagnostic, type NetworkFinding } from './preflight/finding.js'
import { checkNetworks } from './preflight/static.js'
import { buildTemplateContext } from './render/context.js'
import { renderTemplates } from './render/index.js'

export interface RenderOptions {
  /** -c; undefined means ./cluster.yml (or ./cluster.yml.erb). */
  configFile?: string
  cwd: string
  env: Record<string, string | undefined>
  /** Rewrite removed APIs that have a mechanical replacement. */
  upgradeApis?: boolean
  /** Leave out objects whose API was removed without a replacement (PodSecurityPolicy). */
  dropRemoved?: boolean
  /** Removed APIs are reported against this version (x.y.z or master). */
  kubernetesVersion?: string
  /** Names or globs of the environment variables `cluster.yml.erb` may read as ENV. */
  allowEnv?: readonly string[]
  /** Let network.custom.manifest_path leave the folder holding cluster.yml. */
  allowOutsideManifests?: boolean
  /** --image-registry: pull every image from this registry (over cluster.yml's image_repository). */
  imageRegistry?: string
  limits?: Limits
}

export interface RenderedSet {
  config: LoadedClusterConfig
  discovered: DiscoveredManifests
  documents: ManifestDocument[]
  /** Removed APIs still in `documents`, against `kubernetesVersion`. */
  removedApis: RemovedApiFinding[]
  upgrades: ApiUpgrade[]
  dropped: RemovedApiFinding[]
  /** The kustomization's `images:`: each image moved to --image-registry or image_repository; empty for neither. */
  images: ImageRewrite[]
  /** The registry `images` move to. */
  imageRegistry?: string
  /** Networks the manifests set that disagree with cluster.yml (static preflight). */
  networkFindings: NetworkFinding[]
  warnings: Diagnostic[]
}

export async function renderManifestSet(options: RenderOptions): Promise<RenderedSet> {
  const limits = options.limits ?? DEFAULT_LIMITS
  const config = await loadClusterConfig({
    file: options.configFile,
    cwd: options.cwd,
    env: options.env,
    allowEnv: options.allowEnv,
    allowOutsideManifests: options.allowOutsideManifests,
    limits,
  })
  const { provider } = config.config.network
  if (provider !== 'custom') {
    throw new ConfigError(`network.provider is ${provider}: that network is built into Pharos`, {
      file: config.file,
      hint: `set network.provider: custom with custom.manifest_path, or scaffold a manifest folder with ` +
        `\`kubectl pharos-net init --provider flannel DIR\``,
    })
  }
  const discovered = await discoverManifests(config.manifestPath, { limits })
  const rendered = await renderTemplates(discovered, buildTemplateContext(config), config.document, limits)
  const set = applyApiOptions(checkDocuments(rendered, limits), options)
  const registry = imageRegistryOf(config, options.imageRegistry)
  const images = registry === undefined ? [] : imageRewrites(findContainerImages(set.documents), registry)
  const networkFindings = checkNetworks(set.documents, config.config.network)
  const warnings = [...config.warnings, ...set.removedApis.map(removedApiWarning), ...networkFindings.map(networkWarning)]
  return { config, discovered, ...set, images, imageRegistry: registry, networkFindings, warnings }
}

/** --image-registry, else `image_repository` (the key Pharos 2.x read for an air-gapped cluster's registry). */
function imageRegistryOf(config: LoadedClusterConfig, flag: string | undefined): string | undefined {
  if (flag !== undefined) return checkRegistry(flag, { flag: '--image-registry' })
  const repository = config.config.image_repository
  if (repository === undefined || repository === null) return undefined
  if (typeof repository !== 'string') {
    throw new ConfigError('image_repository must be a registry host, such as registry.local:5000', {
      file: config.file,
      hint: 'write it as a string: image_repository: registry.local:5000',
    })
  }
  return checkRegistry(repository, { file: config.file })
}

/** --upgrade-apis and --drop-removed, then what is left to report. */
export function applyApiOptions(
  checked: ManifestDocument[],
  options: Pick<RenderOptions, 'upgradeApis' | 'dropRemoved' | 'kubernetesVersion'>,
): Pick<RenderedSet, 'documents' | 'removedApis' | 'upgrades' | 'dropped'> {
  let documents = checked
  let upgrades: ApiUpgrade[] = []
  let dropped: RemovedApiFinding[] = []
  if (options.upgradeApis) {
    ;({ documents, upgrades, dropped } = upgradeRemovedApis(checked, { dropRemoved: options.dropRemoved ?? false }))
  } else if (options.dropRemoved) {
    dropped = findRemovedApis(checked, 'master').filter((f) => f.replacement === undefined)
    const gone = new Set(dropped.map((f) => documentKey(f.file, f.documentIndex, f.line)))
    documents = checked.filter((d) => !gone.has(documentKey(d.source.path, d.documentIndex, d.line)))
  }
  const removedApis = findRemovedApis(documents, options.kubernetesVersion ?? 'master')
  return { documents, removedApis, upgrades, dropped }
}

/** A removed API still in the set, as the warning render prints. */
export function removedApiWarning(finding: RemovedApiFinding): Diagnostic {
  return { severity: 'warning', file: finding.file, line: finding.line, message: finding.message, hint: finding.hint }
}

/** A network finding as the warning render prints. */
export function networkWarning(finding: NetworkFinding): Diagnostic {
  return { severity: 'warning', ...networkDiagnostic(finding) }
}

/** Manifests that are already rendered (see discoverRenderedManifests), parsed and checked. */
export async function readRenderedManifests(path: string, limits?: Limits): Promise<ManifestDocument[]> {
  return checkDocumentsOf(await discoverRenderedManifests(path, limits), limits)
}
