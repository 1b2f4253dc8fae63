import t from 'tap'
import type { LoadedClusterConfig, NetworkConfig } from '../../src/config.js'
import { buildTemplateContext } from '../../src/render/context.js'

const network: NetworkConfig = {
  provider: 'custom',
  pod_network_cidr: '10.32.0.0/12',
  service_cidr: '10.96.0.0/12',
  dns_service_ip: '10.96.0.10',
  node_local_dns_cache: false,
  firewalld: { enabled: true },
  custom: { manifest_path: './m', options: { mtu: 1400 } },
}
const loaded = (net: NetworkConfig): LoadedClusterConfig =>
  ({ file: '/c/cluster.yml', manifestPath: '/c/m', warnings: [], config: { name: 'c1', network: net } })

t.test('the context Pharos gave its templates', async (t) => {
  t.strictSame(buildTemplateContext(loaded(network)), {
    cluster_config: { name: 'c1', network, networking: network },
    options: { mtu: 1400 },
    name: 'custom_network',
    firewalld_enabled: true,
    reload_iptables: false,
  })
  const { custom: _, ...withoutCustom } = network
  const plain = buildTemplateContext(loaded({ ...withoutCustom, firewalld: { enabled: false } }))
  t.strictSame(plain.options, {}, 'no custom section: no options, not an error')
  t.equal(plain.firewalld_enabled, false)
})
