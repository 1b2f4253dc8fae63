/**
 * The render half of the pipeline, shared by every command that needs the manifest set:
 * cluster.yml → sources → rendered text → checked documents.
 */
import { loadClusterConfig, type LoadedClusterConfig } from './config.js'
import { discoverManifests, type DiscoveredManifests } from './discover.js'
import { checkDocuments, type ManifestDocument } from './documents.js'
import { ConfigError, type Diagnostic } from './errors.js'
import { buildTemplateContext } from './render/context.js'
import { renderTemplates } from './render/index.js'

export interface RenderOptions {
  /** -c; undefined means ./cluster.yml (or ./cluster.yml.erb). */
  configFile?: string
  cwd: string
  env: Record<string, string | undefined>
}

export interface RenderedSet {
  config: LoadedClusterConfig
  discovered: DiscoveredManifests
  documents: ManifestDocument[]
  warnings: Diagnostic[]
}

export async function renderManifestSet(options: RenderOptions): Promise<RenderedSet> {
  const config = await loadClusterConfig({ file: options.configFile, cwd: options.cwd, env: options.env })
  const { provider } = config.config.network
  if (provider !== 'custom') {
    throw new ConfigError(`network.provider is ${provider}: that network is built into Pharos`, {
      file: config.file,
      hint: `set network.provider: custom with custom.manifest_path, or scaffold a manifest folder with ` +
        `\`kubectl pharos-net init --provider flannel DIR\``,
    })
  }
  const discovered = await discoverManifests(config.manifestPath)
  const rendered = await renderTemplates(discovered, buildTemplateContext(config))
  const documents = checkDocuments(rendered)
  return { config, discovered, documents, warnings: [...config.warnings] }
}
