import t, { type Test } from 'tap'
import { ConfigError } from '../../src/errors.js'
import { KEY_GUARD, type KeyGuard } from '../../src/render/erb/guard.js'
import { PHAROS_CONFIG, pharosConfig, type StructName } from '../../src/render/pharos-config.js'

type Data = Record<string, unknown>

const guardOf = (value: unknown): KeyGuard | undefined => (value as { [KEY_GUARD]?: KeyGuard })[KEY_GUARD]
const refusal = (value: unknown, key: string) => guardOf(value)?.(key)

const written: Data = {
  name: 'c1',
  hosts: [
    { address: '10.0.0.1', role: 'master', labels: { zone: 'a' } },
    { address: '10.0.0.2', private_address: '192.168.0.2', role: 'worker', taints: [{ key: 'k', effect: 'NoSchedule' }] },
    { address: '10.0.0.3', role: 'worker', labels: { 'node-role.kubernetes.io/edge': '' } },
  ],
  network: {
    provider: 'custom',
    pod_network_cidr: '10.32.0.0/12',
    dns_service_ip: '10.96.0.10',
    firewalld: { enabled: true },
    custom: { manifest_path: './m', options: { mtu: 1400 } },
  },
  kubelet: { read_only_port: true },
  salt: 'not declared',
}

/** Checks that `value` holds exactly `name`'s declared attributes, guarded, and so on down the structs. */
function declaredEverywhere(t: Test, name: StructName, value: unknown, path: string, unwritten: string[] = []): void {
  const declaration = PHAROS_CONFIG[name]
  const expected = Object.keys(declaration.attributes).filter((key) => !unwritten.includes(key))
  t.strictSame(Object.keys(value as Data).filter((key) => key !== 'networking'), expected, `${path} holds its declared attributes`)
  t.type(guardOf(value), 'function', `${path} is guarded`)
  for (const [attribute, type] of Object.entries(declaration.attributes)) {
    const item = (value as Data)[attribute]
    if (type.kind === 'struct' && item !== null) declaredEverywhere(t, type.struct, item, `${path}.${attribute}`)
    if (type.kind === 'structs' && item !== null) {
      ;(item as unknown[]).forEach((each, i) => declaredEverywhere(t, type.struct, each, `${path}.${attribute}[${i}]`))
    }
    if (type.kind === 'hash' && item !== null) t.equal(guardOf(item), undefined, `${path}.${attribute} is free-form`)
  }
}

t.test('every declared attribute answers, in every struct, and only those', async (t) => {
  declaredEverywhere(t, 'Config', pharosConfig(written, '/c/cluster.yml'), 'cluster_config')
  declaredEverywhere(t, 'Config', pharosConfig({}, '/c/cluster.yml'), 'cluster_config (nothing written)', ['name'])
})

t.test('the name Pharos gave an unnamed cluster during a run is not invented', async (t) => {
  const config = pharosConfig({ network: {} }, '/c/cluster.yml')
  t.notOk(Object.hasOwn(config, 'name'), 'left out, so that Liquid reads an undefined variable')
  t.strictSame(refusal(config, 'name'), {
    message: 'cluster_config.name is not known: cluster.yml does not write it, and Pharos named the cluster during ' +
      "a run (the running cluster's name, or a random one for a new cluster); a render from files cannot know it",
    hint: 'write name: in cluster.yml',
  })
  t.equal(refusal(pharosConfig({ name: 'c1' }, '/c/cluster.yml'), 'name'), undefined)
})

t.test("written values win; Pharos' defaults fill the rest; nil where Pharos had neither", async (t) => {
  const config = pharosConfig(written, '/c/cluster.yml')
  t.equal(config.salt, undefined, 'an undeclared key of cluster.yml is not an attribute')
  t.equal(config.name, 'c1')
  t.equal(config.image_repository, 'registry.pharos.sh/kontenapharos')
  t.equal(config.etcd, null, 'a struct without a section is nil')
  t.equal(config.admission_plugins, null)
  t.strictSame(config.addons, {})
  t.strictSame(config.addon_paths, [])
  t.strictSame({ ...(config.kubelet as Data) }, {
    read_only_port: true, feature_gates: null, extra_args: null, cpu_cfs_quota: true, cpu_cfs_quota_period: null,
  })
  t.strictSame({ ...(config.kube_proxy as Data) }, { mode: 'iptables' }, 'a DEFAULT_DATA section is a struct unwritten')
  t.strictSame({ ...((config.audit as Data).file as Data) },
    { path: '/var/log/kubernetes/audit.json', max_age: 30, max_backups: 20, max_size: 100 })

  const network = config.network as Data
  t.equal(network.provider, 'custom')
  t.equal(network.service_cidr, '10.96.0.0/12')
  t.equal(network.dns_replicas, null)
  t.equal(network.weave, null)
  t.strictSame({ ...(network.custom as Data) }, { manifest_path: './m', options: { mtu: 1400 } })
  const firewalld = network.firewalld as Data
  t.equal(firewalld.enabled, true)
  t.equal(firewalld.trusted_subnets, null)
  t.strictSame((firewalld.open_ports as Data[]).map((port) => ({ ...port })).slice(0, 2), [
    { port: '22', protocol: 'tcp', roles: ['*'] },
    { port: '80', protocol: 'tcp', roles: ['worker'] },
  ], "Pharos' default open ports, each a guarded struct")
  t.equal((firewalld.open_ports as Data[]).length, 6)
  t.ok(refusal((firewalld.open_ports as Data[])[0], 'ports'))
})

t.test("hosts are Host structs whose labels are what Pharos' Host#labels returned", async (t) => {
  const [master, worker, edge] = pharosConfig(written, '/c/cluster.yml').hosts as Data[]
  t.strictSame(master!.labels, { zone: 'a', 'node-address.kontena.io/external-ip': '10.0.0.1' })
  t.equal(master!.ssh_port, 22)
  t.equal(master!.container_runtime, 'docker')
  t.equal(master!.taints, null)
  t.strictSame(worker!.labels, {
    'node-address.kontena.io/external-ip': '10.0.0.2',
    'node-address.kontena.io/internal-ip': '192.168.0.2',
    'node-role.kubernetes.io/worker': '',
  })
  t.strictSame({ ...(worker!.taints as Data[])[0] }, { key: 'k', value: null, effect: 'NoSchedule' })
  t.strictSame(edge!.labels, { 'node-role.kubernetes.io/edge': '', 'node-address.kontena.io/external-ip': '10.0.0.3' },
    'a worker with a role label of its own gets no worker label')
})

t.test('the labels of a host whose internal address Pharos found on its private interface are refused', async (t) => {
  const hosts = [
    { address: '10.0.0.1', role: 'worker', private_interface: 'eth1' },
    { address: '10.0.0.2', role: 'worker', private_interface: 'eth1', private_address: '192.168.0.2' },
  ]
  const [found, written] = pharosConfig({ hosts }, '/c/cluster.yml').hosts as Data[]
  t.notOk(Object.hasOwn(found!, 'labels'))
  t.strictSame(refusal(found, 'labels'), {
    message: 'cluster_config.hosts[0].labels is not known: Pharos added node-address.kontena.io/internal-ip from the ' +
      'address it found on eth1 during a run; a render from files cannot know it',
    hint: "write the host's private_address in cluster.yml",
  })
  t.equal((written!.labels as Data)['node-address.kontena.io/internal-ip'], '192.168.0.2', 'private_address wins')
})

t.test('an undeclared name is refused with what Pharos declared there', async (t) => {
  const config = pharosConfig(written, '/c/cluster.yml')
  const network = config.network as Data
  t.equal(refusal(network, 'provider'), undefined)
  t.equal(refusal(config, 'networking'), undefined, "this tool's alias answers")
  t.match(refusal(network, 'mtu'), {
    message: "cluster_config.network has no attribute 'mtu': Pharos' config declares provider, dns_replicas, " +
      'service_cidr, pod_network_cidr, node_local_dns_cache, firewalld, weave, calico, custom, dns_service_ip',
    hint: /network\.custom\.options/,
  })
  t.match(refusal(config, 'salt'), { message: /^cluster_config has no attribute 'salt'/ })
  t.match(refusal(config.kubelet, 'system_reserved'), { message: /`system_reserved` came in Pharos 3; this tool follows Pharos 2\.4/ })
  t.match(refusal((config.hosts as Data[])[1], 'hostname'), {
    message: 'cluster_config.hosts[1].hostname is what Pharos learned from the machine during a run; a render from files cannot know it',
  })
  t.match(refusal(config, 'master_host'), {
    message: "cluster_config.master_host is a method of Pharos' Pharos::Config that this tool does not compute",
  })
  t.equal(guardOf((network.custom as Data).options), undefined, 'options are a Hash: any key, missing ones nil')
})

t.test('prints and iterates as the plain data it is', async (t) => {
  const config = pharosConfig({}, '/c/cluster.yml')
  t.notOk(Object.keys(config).some((key) => typeof key !== 'string'))
  t.equal(JSON.stringify(config.api), '{"endpoint":null}', 'the guard is not enumerated')
  t.equal(Object.getOwnPropertySymbols(config.api).length, 1)
})

t.test('defaults are fresh for every config', async (t) => {
  const first = pharosConfig({}, '/c/cluster.yml')
  ;(first.addon_paths as unknown[]).push('x')
  ;(((first.audit as Data).file as Data)).path = '/elsewhere'
  const second = pharosConfig({}, '/c/cluster.yml')
  t.strictSame(second.addon_paths, [])
  t.equal(((second.audit as Data).file as Data).path, '/var/log/kubernetes/audit.json')
})

t.test('a section that is not a mapping is refused, as Pharos refused it', async (t) => {
  t.throws(() => pharosConfig({ api: 'https://x' }, '/c/cluster.yml'), new ConfigError(
    "api in cluster.yml must be a mapping, as Pharos' schema required",
    { file: '/c/cluster.yml', hint: 'write the keys of api indented below it' }))
  t.throws(() => pharosConfig({ hosts: { address: 'x' } }, '/c/cluster.yml'), { message: /^hosts in cluster.yml must be a list/ })
  t.throws(() => pharosConfig({ hosts: ['10.0.0.1'] }, '/c/cluster.yml'), { message: /^hosts\[0\] in cluster.yml must be a mapping/ })
  t.throws(() => pharosConfig({ hosts: [{ address: 'a', labels: 'x' }] }, '/c/cluster.yml'),
    { message: /^hosts\[0\]\.labels in cluster.yml must be a mapping/ })
})
