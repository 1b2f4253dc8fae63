import t, { type Test } from 'tap'
import { join } from 'node:path'
import { loadClusterConfig } from '../../src/config.js'
import { TemplateError } from '../../src/errors.js'
import { buildTemplateContext, type TemplateContext } from '../../src/render/context.js'
import { compileErb } from '../../src/render/erb.js'
import { createLiquidRenderer } from '../../src/render/liquid.js'

type Data = Record<string, unknown>

const manifests = { 'a.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' }

/** The context of `yaml` as the cluster.yml of a fresh folder, read by the real loader. */
async function contextOf(t: Test, yaml: string): Promise<TemplateContext & { dir: string }> {
  const dir = t.testdir({ 'cluster.yml': yaml, m: manifests })
  return { ...buildTemplateContext(await loadClusterConfig({ cwd: dir })), dir }
}

const custom = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./m\n'

t.test('the variables Pharos passed, and ours', async (t) => {
  const { dir: _, ...context } = await contextOf(t, `${custom}    options:\n      mtu: 1400\n  firewalld:\n    enabled: true\n`)
  t.strictSame(Object.keys(context), ['cluster_config', 'options', 'name', 'firewalld_enabled', 'reload_iptables'])
  t.strictSame(context.options, { mtu: 1400 })
  t.equal(context.name, 'custom_network')
  t.equal(context.firewalld_enabled, true)
  t.equal(context.reload_iptables, false)
  const network = context.cluster_config.network as Data
  t.equal(context.cluster_config.networking, network, 'networking is the same struct as network')
  t.equal((network.custom as Data).options, context.options, 'options is cluster_config.network.custom.options')
  t.equal((network.firewalld as Data).enabled, true)
  t.equal(network.dns_service_ip, '10.96.0.10', 'the derived DNS address, a method in Pharos')
  t.equal(context.cluster_config.image_repository, 'registry.pharos.sh/kontenapharos')
})

t.test('what cluster.yml does not write is nil, as in Pharos, though the loader fills it in', async (t) => {
  const context = await contextOf(t, custom)
  const network = context.cluster_config.network as Data
  t.equal(network.firewalld, null, 'no firewalld section: nil')
  t.equal(context.firewalld_enabled, false)
  t.equal((network.custom as Data).options, null, 'no options: cluster_config.network.custom.options is nil')
  t.strictSame(context.options, {}, 'while the options shortcut is an empty hash')
  t.equal(context.cluster_config.etcd, null)
})

t.test('ERB: a declared attribute that is absent is nil; an undeclared one is an error at its position', async (t) => {
  const context = await contextOf(t, `name: c1\nhosts:\n  - address: 10.0.0.1\n    role: worker\n${custom}`)
  const render = (source: string) => compileErb(source, 'ds.yml.erb').render({ ...context })
  t.equal(render('<%= cluster_config.network.firewalld.nil? %> <%= cluster_config.hosts[0].labels.nil? %>'), 'true false')
  t.equal(render("<% if cluster_config.etcd %>etcd<% else %>no etcd<% end %> <%= cluster_config['image_repository'] %>"),
    'no etcd registry.pharos.sh/kontenapharos')
  t.equal(render("<%= cluster_config.hosts.first.labels['node-role.kubernetes.io/worker'].nil? %>"), 'false')
  const source = 'kind: DaemonSet\nspec:\n  mtu: <%= cluster_config.network.mtu %>\n'
  t.throws(() => render(source), {
    constructor: TemplateError,
    message: "cluster_config.network has no attribute 'mtu': Pharos' config declares provider, dns_replicas, " +
      'service_cidr, pod_network_cidr, node_local_dns_cache, firewalld, weave, calico, custom, dns_service_ip',
    file: 'ds.yml.erb',
    line: 3,
    col: 35,
    hint: /free-form values go in network\.custom\.options/,
  })
  t.throws(() => render("<%= cluster_config['salt'] %>"), { message: /^cluster_config has no attribute 'salt'/, line: 1 })
  const unnamed = await contextOf(t, custom)
  t.throws(() => compileErb('name: <%= cluster_config.name %>', 'ds.yml.erb').render({ ...unnamed }), {
    message: /^cluster_config\.name is not known: cluster\.yml does not write it, and Pharos named the cluster/,
    line: 1,
    col: 26,
  })
})

t.test('Liquid: the same data; an undeclared attribute is an undefined variable at its position', async (t) => {
  const context = await contextOf(t, `name: c1\n${custom}    options:\n      mtu: 1400\n`)
  const liquid = createLiquidRenderer({ root: join(context.dir, 'm') })
  const render = (source: string) => liquid.compile(source, join(context.dir, 'm', 'ds.yml.liquid')).render({ ...context })
  t.equal(await render('{{ cluster_config.image_repository }} {{ cluster_config.network.custom.options.mtu }}'),
    'registry.pharos.sh/kontenapharos 1400')
  t.equal(await render('{% if cluster_config.network.firewalld %}on{% else %}off{% endif %}'), 'off')
  t.equal(await render('{{ cluster_config.api | to_json }}'), '{"endpoint":null}', 'the guard is not data')
  await t.rejects(render('kind: DaemonSet\nmtu: {{ cluster_config.network.mtu }}\n'), {
    name: 'TemplateError',
    message: 'undefined variable `cluster_config.network.mtu`',
    line: 2,
    col: 9,
  })
  const unnamed = await contextOf(t, custom)
  await t.rejects(liquid.compile('{{ cluster_config.name }}', join(context.dir, 'm', 'n.yml.liquid')).render({ ...unnamed }),
    { message: 'undefined variable `cluster_config.name`' }, 'the name Pharos gave an unnamed cluster is not invented')
})
