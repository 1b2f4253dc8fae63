/**
 * The variables every template sees (design §5), built once per run and shared by both engines. Pharos
 * passed `name`, `cluster_config`, `firewalld_enabled` and `reload_iptables`
 * (lib/pharos/phases/configure_custom_network.rb); `options` and `cluster_config.networking` are this
 * tool's additions.
 */
import type { LoadedClusterConfig, NetworkConfig } from '../config.js'
import { pharosConfig } from './pharos-config.js'
import { asRecord } from '../records.js'

export interface TemplateContext {
  /**
   * `Pharos::Config` as plain data (pharos-config.ts): every declared attribute, undeclared ones refused.
   * `networking` is an alias of `network`, the spelling the spec's examples use.
   */
  cluster_config: Record<string, unknown>
  /** Shortcut for `cluster_config.network.custom.options`; empty when not written. */
  options: Record<string, unknown>
  /** Pharos' name for this stack. */
  name: string
  firewalld_enabled: boolean
  /** Pharos sets this when firewalld rules changed; nothing changes them outside Pharos. */
  reload_iptables: boolean
}

export function buildTemplateContext(loaded: LoadedClusterConfig): TemplateContext {
  const { network } = loaded.config
  const clusterConfig = pharosConfig(asWritten(loaded), loaded.file)
  clusterConfig.networking = clusterConfig.network
  return {
    cluster_config: clusterConfig,
    options: network.custom?.options ?? {},
    name: 'custom_network',
    firewalld_enabled: network.firewalld.enabled,
    reload_iptables: false,
  }
}

/**
 * The loaded config without what the loader fills in for its own checks where Pharos left nil:
 * `network.firewalld` and `network.custom.options` when cluster.yml does not write them.
 */
function asWritten(loaded: LoadedClusterConfig): Record<string, unknown> {
  const writtenNetwork = asRecord(asRecord(loaded.document.toJS({ maxAliasCount: -1 })).network)
  const { firewalld, custom, ...network }: Record<string, unknown> & Partial<NetworkConfig> = loaded.config.network
  if (isGiven(writtenNetwork.firewalld)) network.firewalld = firewalld
  if (custom) {
    const { options: _, ...rest } = custom
    network.custom = isGiven(asRecord(writtenNetwork.custom).options) ? custom : rest
  }
  return { ...loaded.config, network }
}


function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null
}
