/**
 * The variables every template sees (design §5), built once per run and shared by both engines.
 */
import type { ClusterConfig, LoadedClusterConfig, NetworkConfig } from '../config.js'

export interface TemplateContext {
  /** The whole config; `networking` is an alias of `network`, the spelling the spec's examples use. */
  cluster_config: ClusterConfig & { networking: NetworkConfig }
  /** Shortcut for `cluster_config.network.custom.options`. */
  options: Record<string, unknown>
  /** Pharos' name for this stack. */
  name: string
  firewalld_enabled: boolean
  /** Pharos sets this when firewalld rules changed; nothing changes them outside Pharos. */
  reload_iptables: boolean
}

export function buildTemplateContext(loaded: LoadedClusterConfig): TemplateContext {
  const { network } = loaded.config
  return {
    cluster_config: { ...loaded.config, networking: network },
    options: network.custom?.options ?? {},
    name: 'custom_network',
    firewalld_enabled: network.firewalld.enabled,
    reload_iptables: false,
  }
}
