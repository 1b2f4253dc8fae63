import t, { type Test } from 'tap'
import { dirname, join } from 'node:path'
import { loadClusterConfig, type LoadedClusterConfig } from '../src/config.js'
import { ConfigError, InputErrors, TemplateError, type Diagnostic } from '../src/errors.js'

const fixtures = join(import.meta.dirname, 'fixtures')

/** Loads `yaml` as the cluster.yml of a fresh folder that also holds `files`. */
async function load(t: Test, yaml: string, files: Record<string, unknown> = {}): Promise<LoadedClusterConfig> {
  const dir = t.testdir({ 'cluster.yml': yaml, ...files })
  return loadClusterConfig({ cwd: dir })
}

async function failure(t: Test, yaml: string, files: Record<string, unknown> = {}): Promise<unknown> {
  try {
    await load(t, yaml, files)
  } catch (error) {
    return error
  }
  throw new Error('expected loading to fail')
}

const manifests = { 'a.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' }

t.test('defaults and the derived DNS address, read from ./cluster.yml', async (t) => {
  const dir = join(fixtures, 'config-defaults')
  const loaded = await loadClusterConfig({ cwd: dir })
  t.equal(loaded.file, join(dir, 'cluster.yml'))
  t.equal(loaded.manifestPath, '')
  t.same(loaded.warnings, [])
  t.strictSame(loaded.config.network, {
    provider: 'weave',
    pod_network_cidr: '10.32.0.0/12',
    service_cidr: '10.96.0.0/12',
    dns_service_ip: '10.96.0.10',
    node_local_dns_cache: true,
    firewalld: { enabled: false },
  })
  t.equal(loaded.config.name, 'staging')
  t.same(loaded.config.hosts, [
    { address: '192.0.2.10', private_address: '10.0.0.10', role: 'master' },
    { address: '192.0.2.11', role: 'worker', labels: { disk: 'ssd' } },
  ])
  t.strictSame(JSON.parse(JSON.stringify(loaded.config)), loaded.config, 'plain, JSON-safe data')
})

t.test('IPv6 networks', async (t) => {
  const loaded = await load(t, 'network:\n  pod_network_cidr: fd00:10:32::/64\n  service_cidr: fd00:10:96::/108\n')
  t.equal(loaded.config.network.dns_service_ip, 'fd00:10:96::a')
  t.equal(loaded.config.network.pod_network_cidr, 'fd00:10:32::/64')
  t.same(loaded.warnings, [])
})

t.test('written values win over defaults; keys we do not model are kept', async (t) => {
  const loaded = await load(
    t,
    [
      'network:',
      '  provider: calico',
      '  dns_replicas: 3',
      '  node_local_dns_cache: false',
      '  firewalld:',
      '    enabled: true',
      '    open_ports: [{port: "4789", protocol: udp, roles: ["*"]}]',
      '  calico:',
      '    ipip_mode: Never',
      '',
    ].join('\n'),
  )
  const { network } = loaded.config
  t.equal(network.provider, 'calico')
  t.equal(network.dns_replicas, 3)
  t.equal(network.node_local_dns_cache, false)
  t.same(network.firewalld, { enabled: true, open_ports: [{ port: '4789', protocol: 'udp', roles: ['*'] }] })
  t.same(network.calico, { ipip_mode: 'Never' })
  t.equal(loaded.manifestPath, '', 'weave and calico are not rendered here: no manifest path')
})

t.test("the spec's example configuration", async (t) => {
  const dir = join(fixtures, 'config-spec')
  const loaded = await loadClusterConfig({ cwd: dir, file: 'cluster.yml' })
  t.strictSame(loaded.config, {
    network: {
      provider: 'custom',
      pod_network_cidr: '172.31.0.0/16',
      service_cidr: '172.32.0.0/16',
      custom: { manifest_path: './network-manifests/', options: {} },
      dns_service_ip: '172.32.0.10',
      node_local_dns_cache: true,
      firewalld: { enabled: false },
    },
  })
  t.equal(loaded.manifestPath, join(dir, 'network-manifests'))
  t.same(loaded.warnings, [])
})

t.test('manifest_path is relative to the folder holding cluster.yml, wherever we stand', async (t) => {
  const file = join(fixtures, 'config-spec', 'cluster.yml')
  const fromRoot = await loadClusterConfig({ cwd: '/', file })
  const fromTest = await loadClusterConfig({ cwd: import.meta.dirname, file: 'fixtures/config-spec/cluster.yml' })
  t.equal(fromRoot.manifestPath, join(fixtures, 'config-spec', 'network-manifests'))
  t.equal(fromTest.manifestPath, fromRoot.manifestPath)
  t.equal(fromTest.file, file)

  // A manifest folder of the same name where we stand must not stand in for the missing one.
  const cwd = t.testdir({ manifests })
  const error = await loadClusterConfig({ cwd, file: join(fixtures, 'config-empty-folder', 'cluster.yml') }).catch(
    (e: unknown) => e,
  )
  t.type(error, ConfigError)
  t.match(error, { message: `no manifests in ${join(fixtures, 'config-empty-folder', 'manifests')}` })
})

t.test('a single manifest file is allowed', async (t) => {
  const loaded = await load(t, 'network:\n  provider: custom\n  custom:\n    manifest_path: net/a.yml\n', {
    net: manifests,
  })
  t.equal(loaded.manifestPath, join(t.testdirName, 'net', 'a.yml'))
  t.same(loaded.config.network.custom, { manifest_path: 'net/a.yml', options: {} })
})

t.test('cluster.yml.erb is rendered with ENV first', async (t) => {
  const dir = join(fixtures, 'config-erb')
  const env = { POD_NETWORK_CIDR: '10.244.0.0/16', MTU: '1400' }
  const loaded = await loadClusterConfig({ cwd: dir, env, allowEnv: ['POD_NETWORK_CIDR', 'MTU'] })
  t.equal(loaded.file, join(dir, 'cluster.yml.erb'))
  t.equal(loaded.config.network.pod_network_cidr, '10.244.0.0/16')
  t.same(loaded.config.network.custom?.options, { mtu: 1400 })
  t.equal(loaded.manifestPath, join(dir, 'flannel.yml'))

  const broken = t.testdir({ 'cluster.yml.erb': 'network:\n  provider: <%= ENV["X"].frobnicate %>\n' })
  await t.rejects(loadClusterConfig({ cwd: broken, env: {}, allowEnv: ['X'] }), TemplateError)
})

t.test('ENV shows only the variables the user allows', async (t) => {
  const env = { SECRET_TOKEN: 's3cr3t', CLUSTER_CIDR: '10.244.0.0/16', CLUSTER_MTU: '1400', HOME: '/root' }
  const dump = t.testdir({
    'cluster.yml.erb': 'network:\n  provider: weave\n  custom:\n    options:\n      env: <%= ENV.to_json %>\n',
  })
  const none = await loadClusterConfig({ cwd: dump, env })
  t.same(none.config.network.custom?.options, { env: {} }, 'nothing without --allow-env')
  const globbed = await loadClusterConfig({ cwd: dump, env, allowEnv: ['CLUSTER_*'] })
  t.same(globbed.config.network.custom?.options, { env: { CLUSTER_CIDR: '10.244.0.0/16', CLUSTER_MTU: '1400' } })

  for (const read of ["ENV['SECRET_TOKEN']", 'ENV["SECRET_TOKEN"]', "ENV.fetch('SECRET_TOKEN')", "ENV.fetch('SECRET_TOKEN', 'x')",
    "ENV.key?('SECRET_TOKEN')", 'ENV.SECRET_TOKEN']) {
    const dir = t.testdir({ 'cluster.yml.erb': `network:\n  provider: <%= ${read} %>\n` })
    const error = await loadClusterConfig({ cwd: dir, env, allowEnv: ['CLUSTER_*'] }).catch((e: unknown) => e)
    t.type(error, TemplateError, read)
    t.match(error, { message: /ENV\['SECRET_TOKEN'\] is not visible/, hint: /--allow-env SECRET_TOKEN/, line: 2 }, read)
    t.notMatch(JSON.stringify({ ...(error as object), message: (error as Error).message }), /s3cr3t/, `${read}: the value never shows`)
  }
  const unset = t.testdir({ 'cluster.yml.erb': "network:\n  provider: <%= ENV['CLUSTER_NAME'] || 'custom' %>\n" })
  const fallback = await loadClusterConfig({ cwd: unset, env, allowEnv: ['CLUSTER_*'] }).catch((e: unknown) => e)
  t.match(fallback, { message: /manifest_path/ }, 'an allowed but unset variable is nil, as in Ruby')
})

t.test('excerpts of a cluster.yml.erb show the template, not what ENV put in', async (t) => {
  const dir = t.testdir({ 'cluster.yml.erb': "network:\n  pod_network_cidr: <%= ENV['CIDR'] %>\n" })
  const error = await loadClusterConfig({ cwd: dir, env: { CIDR: 'not-a-cidr-s3cr3t' }, allowEnv: ['CIDR'] }).catch((e: unknown) => e)
  t.type(error, ConfigError)
  t.match(error, { line: 2, frame: /pod_network_cidr: <%= ENV\['CIDR'\] %>/ })
  t.notMatch((error as ConfigError).frame, /s3cr3t/)
})

t.test('a missing config file', async (t) => {
  const dir = t.testdir({})
  const missing = await loadClusterConfig({ cwd: dir }).catch((e: unknown) => e)
  t.type(missing, ConfigError)
  t.match(missing, { message: 'config file not found: cluster.yml', hint: /pass -c PATH/ })

  const given = await loadClusterConfig({ cwd: dir, file: 'site/cluster.yml' }).catch((e: unknown) => e)
  t.type(given, ConfigError)
  t.match(given, { message: 'config file not found: site/cluster.yml', hint: new RegExp(join(dir, 'site')) })

  const folder = await loadClusterConfig({ cwd: dir, file: '.' }).catch((e: unknown) => e)
  t.type(folder, ConfigError)
  t.match(folder, { message: 'config file is a folder: .', hint: /-c PATH/ })
})

t.test('YAML syntax errors carry yaml position and a frame', async (t) => {
  const error = await failure(t, 'network:\n\tprovider: custom\n')
  t.type(error, ConfigError)
  t.match(error, {
    message: 'invalid YAML: Tabs are not allowed as indentation',
    file: join(t.testdirName, 'cluster.yml'),
    line: 2,
    col: 1,
    frame: /> 2 \| \tprovider: custom/,
  })
})

t.test('a duplicate key is an error at the second one', async (t) => {
  const error = await failure(t, 'network:\n  provider: custom\n  provider: weave\n')
  t.type(error, ConfigError)
  t.match(error, { message: 'invalid YAML: Map keys must be unique', line: 3, col: 3, hint: /once in each mapping/ })
})

t.test('an alias without its anchor', async (t) => {
  const error = await failure(t, 'network:\n  provider: *p\n')
  t.type(error, ConfigError)
  t.match(error, { message: 'invalid YAML: alias *p has no anchor before it', line: 2, col: 13 })
})

t.test('the top level must be a mapping', async (t) => {
  t.match(await failure(t, '- network\n'), { message: 'cluster.yml must be a mapping of keys, not a list', line: 1 })
  t.match(await failure(t, '# nothing yet\n'), { message: 'cluster.yml is empty', line: 1, col: 1 })
})

t.test('an unknown provider lists the choices', async (t) => {
  const error = await failure(t, 'network:\n  provider: flannel\n')
  t.type(error, ConfigError)
  t.match(error, {
    message: 'network.provider must be one of weave, calico, custom, not "flannel"',
    line: 2,
    col: 13,
    hint: /weave, calico, custom/,
  })
})

t.test('an invalid CIDR', async (t) => {
  const v4 = await failure(t, 'network:\n  pod_network_cidr: 10.32.0.0\n')
  t.type(v4, ConfigError)
  t.match(v4, {
    message: 'network.pod_network_cidr is not a valid CIDR: "10.32.0.0" is not in CIDR notation',
    line: 2,
    col: 21,
    frame: />.*pod_network_cidr: 10\.32\.0\.0\n.*\^/,
  })
  const v6 = await failure(t, 'network:\n  service_cidr: "fd00::zz/108"\n')
  t.match(v6, {
    message: 'network.service_cidr is not a valid CIDR: "fd00::zz" is not an IPv4 or IPv6 address',
    line: 2,
    col: 17,
  })
  const number = await failure(t, 'network:\n  service_cidr: 10\n')
  t.match(number, { message: 'network.service_cidr must be a CIDR such as 10.96.0.0/12, not 10', line: 2, col: 17 })
  const prefix = await failure(t, 'network:\n  service_cidr: 10.96.0.0/33\n')
  t.match(prefix, { message: /prefix \/33 is longer than 32 bits/, line: 2, col: 17 })
})

t.test('overlapping pod and service networks', async (t) => {
  const error = await failure(t, 'network:\n  pod_network_cidr: 10.32.0.0/12\n  service_cidr: 10.40.0.0/16\n')
  t.type(error, ConfigError)
  t.match(error, {
    message: 'network.pod_network_cidr 10.32.0.0/12 and network.service_cidr 10.40.0.0/16 overlap',
    line: 3,
    col: 17,
  })
  const againstDefault = await failure(t, 'network:\n  pod_network_cidr: 10.96.128.0/17\n')
  t.match(againstDefault, {
    message: 'network.pod_network_cidr 10.96.128.0/17 and network.service_cidr 10.96.0.0/12 overlap',
    line: 2,
    col: 21,
  })
})

t.test('a service network too small for the DNS address', async (t) => {
  const error = await failure(t, 'network:\n  service_cidr: 10.96.0.0/29\n')
  t.match(error, {
    message: 'network.service_cidr 10.96.0.0/29 is too small for the DNS service address',
    line: 2,
    col: 17,
  })
})

t.test('host bits set: a warning that suggests the network address', async (t) => {
  const loaded = await load(t, 'network:\n  service_cidr: 10.96.0.1/12\n')
  t.match(loaded.warnings, [
    {
      severity: 'warning',
      message: 'network.service_cidr 10.96.0.1/12 has host bits set',
      hint: /did you mean 10\.96\.0\.0\/12\?/,
      file: join(t.testdirName, 'cluster.yml'),
      line: 2,
      col: 17,
    },
  ])
  t.equal(loaded.warnings.length, 1)
  t.equal(loaded.config.network.dns_service_ip, '10.96.0.10')
  t.equal(loaded.config.network.service_cidr, '10.96.0.1/12', 'kept as written')
})

t.test('provider custom without network.custom', async (t) => {
  const error = await failure(t, 'name: lab\nnetwork:\n  provider: custom\n')
  t.type(error, ConfigError)
  t.match(error, {
    message: 'network.provider is custom but network.custom.manifest_path is not set',
    line: 2,
    col: 1,
    hint: /relative to the folder holding cluster\.yml/,
  })
  const withoutPath = await failure(t, 'network:\n  provider: custom\n  custom:\n    options: {mtu: 1400}\n')
  t.match(withoutPath, { message: /manifest_path is not set/, line: 3, col: 3 })
})

t.test('a manifest path that does not exist', async (t) => {
  const error = await failure(t, 'network:\n  provider: custom\n  custom:\n    manifest_path: ./flannel/\n')
  t.type(error, ConfigError)
  t.match(error, { message: `manifest path does not exist: ${join(t.testdirName, 'flannel')}`, line: 4, col: 20 })
})

t.test('a manifest path that cannot be read says why in words', async (t) => {
  const error = await failure(t, 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n', { net: t.fixture('symlink', 'net') })
  t.type(error, ConfigError)
  t.match(error, {
    message: `cannot read manifest path ${join(t.testdirName, 'net')}: too many levels of symbolic links (ELOOP)`,
    hint: 'check the symbolic links on the path',
    line: 4,
    col: 20,
  })
})

t.test('a folder without manifests: dotfiles and other files do not count', async (t) => {
  const dir = join(fixtures, 'config-empty-folder')
  const error = await loadClusterConfig({ cwd: dir }).catch((e: unknown) => e)
  t.type(error, ConfigError)
  t.match(error, { message: `no manifests in ${join(dir, 'manifests')}`, line: 4, col: 20 })
  const notManifest = await failure(t, 'network:\n  provider: custom\n  custom:\n    manifest_path: notes.txt\n', {
    'notes.txt': 'hi\n',
  })
  t.match(notManifest, { message: /manifest path is not a manifest file: .*notes\.txt$/, line: 4, col: 20 })
})

t.test('cluster.yml reads as Pharos read it: YAML 1.1 as Psych 3 reads it, merge keys included', async (t) => {
  // What Ruby 2.5's Psych (3.0.2) made of each value, checked by hand with its ScalarScanner in Ruby 3.1.
  const loaded = await load(t, [
    'network:',
    '  provider: custom',
    '  node_local_dns_cache: no',
    '  firewalld:',
    '    enabled: on',
    '  custom:',
    '    manifest_path: ./a.yml',
    '    options:',
    '      <<: {mtu: 1400, ipip: Always, mode: 0644}',
    '      mtu: 1_450',
    '      ratio: 1.0',
    '      interval: 1:30',
    '      letter: y',
    '',
  ].join('\n'), manifests)
  t.equal(loaded.config.network.node_local_dns_cache, false)
  t.equal(loaded.config.network.firewalld.enabled, true)
  t.strictSame(loaded.config.network.custom?.options, { mtu: 1450, ipip: 'Always', mode: 420, ratio: 1, interval: 5400, letter: 'y' })
  t.strictSame(loaded.document.getIn(['network', 'custom', 'options', 'mtu']), 1450n, 'the document keeps Integer as bigint')
  t.strictSame(loaded.document.getIn(['network', 'custom', 'options', 'ratio']), 1, 'and Float as number')
  t.same(Object.keys(loaded.config.network.custom?.options ?? {}), ['mtu', 'ipip', 'mode', 'ratio', 'interval', 'letter'])
})

t.test('a value Pharos refused to load is an error at its place', async (t) => {
  t.match(await failure(t, 'name: x\nnetwork:\n  provider: weave\ncreated: 2001-12-14\n'), {
    message: '2001-12-14 reads as a Ruby Date, which Pharos\' YAML.safe_load refused ("Tried to load unspecified class: Date")',
    line: 4,
    col: 10,
    hint: 'quote the value to keep it as text (Pharos needed the quotes too)',
  })
})

t.test('wrong types', async (t) => {
  t.match(await failure(t, 'network:\n  custom:\n    options: [mtu]\n'), {
    message: 'network.custom.options must be a mapping of keys, not a list',
    line: 3,
    col: 14,
  })
  t.match(await failure(t, 'network:\n  node_local_dns_cache: y\n'), {
    message: 'network.node_local_dns_cache must be true or false, not "y"',
    line: 2,
    col: 25,
  })
  t.match(await failure(t, 'network: weave\n'), {
    message: 'network must be a mapping of keys, not "weave"',
    line: 1,
    col: 10,
  })
  const custom = (value: string) => `network:\n  provider: custom\n  custom:\n    manifest_path: ${value}\n`
  t.match(await failure(t, custom('{dir: net}')), { message: 'network.custom.manifest_path must be a path, not a mapping', line: 4, col: 20 })
  t.match(await failure(t, custom('[net]')), { message: 'network.custom.manifest_path must be a path, not a list' })
  t.match(await failure(t, custom('12')), { message: 'network.custom.manifest_path must be a path, not 12' })
  t.match(await failure(t, custom('"  "')), { message: 'network.custom.manifest_path must be a path, not "  "' })
  t.match(await failure(t, 'network:\n  provider: 5\n'), { message: 'network.provider must be one of weave, calico, custom, not 5' })
  t.match(await failure(t, 'network:\n  provider: [custom]\n'), { message: 'network.provider must be one of weave, calico, custom, not a list' })
})

t.test('an unknown key with nothing close lists the known keys of its section', async (t) => {
  const loaded = await load(t, 'network:\n  provider: weave\n  xyzzy: 1\n')
  t.match(loaded.warnings, [{
    message: 'unknown key `network.xyzzy`',
    hint: /^Pharos does not read it; known keys under network: .*pod_network_cidr/,
  }])
})

t.test('several problems are reported together, in file order', async (t) => {
  const error = await failure(
    t,
    'network:\n  node_local_dns_cache: maybe\n  provider: flannel\n  pod_network_cidr: nope\n',
  )
  t.type(error, InputErrors)
  t.same(
    (error as InputErrors).diagnostics.map((d: Diagnostic) => [d.severity, d.line, d.col, d.message.split(' ')[0]]),
    [
      ['error', 2, 25, 'network.node_local_dns_cache'],
      ['error', 3, 13, 'network.provider'],
      ['error', 4, 21, 'network.pod_network_cidr'],
    ],
  )
})

t.test('unknown keys are warnings, with a suggestion when one is close', async (t) => {
  const loaded = await load(
    t,
    [
      'netwrok:',
      '  provider: custom',
      'network:',
      '  provder: weave',
      '  firewalld:',
      '    enable: true',
      '  custom:',
      '    options: {anything: {goes: here}}',
      'kubernetes_version: 1.33',
      '',
    ].join('\n'),
  )
  t.match(loaded.warnings, [
    { severity: 'warning', message: 'unknown key `netwrok` in cluster.yml', hint: 'did you mean `network`?', line: 1 },
    {
      message: 'unknown key `network.provder` in cluster.yml',
      hint: 'did you mean `network.provider`?',
      line: 4,
      col: 3,
    },
    {
      message: 'unknown key `network.firewalld.enable` in cluster.yml',
      hint: 'did you mean `network.firewalld.enabled`?',
      line: 6,
      col: 5,
    },
    {
      message: 'unknown key `kubernetes_version` in cluster.yml',
      hint: /^Pharos does not read it; known keys: name, hosts, network/,
      line: 9,
      col: 1,
    },
  ])
  t.equal(loaded.warnings[0]?.col, 1)
  t.equal(loaded.warnings.length, 4)
  t.equal(loaded.config.netwrok !== undefined, true, 'unknown keys are kept as written')
})

t.test("every key of Pharos' schema is accepted silently", async (t) => {
  const loaded = await load(
    t,
    [
      'name: a', 'cluster_name: a', 'hosts: []', 'api: {endpoint: x}', 'authentication: {}', 'audit: {}',
      'kube_proxy: {mode: ipvs}', 'kubelet: {}', 'control_plane: {}', 'telemetry: {enabled: false}',
      'pod_security_policy: {}', 'image_repository: r', 'addon_paths: []', 'addons: {}', 'etcd: {}', 'cloud: {}',
      'admission_plugins: []', 'container_runtime: {}', 'salt: x',
      'network:', '  provider: custom', '  pod_network_cidr: 10.32.0.0/12', '  service_cidr: 10.96.0.0/12',
      '  dns_replicas: 2', '  node_local_dns_cache: true',
      '  firewalld: {enabled: false, open_ports: [], trusted_subnets: []}',
      '  weave: {trusted_subnets: []}', '  calico: {}', '  custom: {manifest_path: m, options: {x: 1}}', '',
    ].join('\n'),
    { m: manifests },
  )
  t.same(loaded.warnings, [])
})

t.test('a suggestion for an unknown key within a third of its length in edits, and not beyond', async (t) => {
  const hint = async (key: string) => {
    const loaded = await load(t, `network:\n  provider: weave\n${key}: 1\n`)
    return loaded.warnings.find((w) => w.message.includes(`\`${key}\``))?.hint
  }
  t.equal(await hint('hostz'), 'did you mean `hosts`?', '5 letters: one edit')
  t.match(await hint('hxstz'), /^Pharos does not read it/, '5 letters: two edits is too far')
  t.equal(await hint('netwxrx'), 'did you mean `network`?', '7 letters: two edits')
  t.match(await hint('nexwxrx'), /^Pharos does not read it/, '7 letters: three edits is too far')
  t.equal(await hint('nmae'), 'did you mean `name`?', 'a swap of neighbours is one edit')
  t.equal(await hint('API'), 'did you mean `api`?', 'letter case does not count')
})

t.test('every diagnostic of cluster.yml: its words, its hint and its place', async (t) => {
  // [cluster.yml, other files, loads (with warnings) or fails, diagnostics]; DIR is the folder of cluster.yml.
  const cases: Array<[string, Record<string, unknown>, boolean, Diagnostic[]]> = [
    ["", {}, false, [
      { severity: "error", message: "cluster.yml is empty", hint: "start with `network:` and the keys below it, as in Pharos' cluster.yml", line: 1, col: 1 },
    ]],
    ["- a\n", {}, false, [
      { severity: "error", message: "cluster.yml must be a mapping of keys, not a list", hint: "start with `network:` and the keys below it, as in Pharos' cluster.yml", line: 1, col: 1 },
    ]],
    ["network:\n  provider: 5\n", {}, false, [
      { severity: "error", message: "network.provider must be one of weave, calico, custom, not 5", hint: "choose one of: weave, calico, custom (this tool renders custom; the others are built into Pharos)", line: 2, col: 13 },
    ]],
    ["network:\n  provider: calico2\n", {}, false, [
      { severity: "error", message: "network.provider must be one of weave, calico, custom, not \"calico2\"", hint: "choose one of: weave, calico, custom (this tool renders custom; the others are built into Pharos)", line: 2, col: 13 },
    ]],
    ["network:\n  pod_network_cidr: 10.96.0.0/12\n  service_cidr: 10.96.0.0/12\n", {}, false, [
      { severity: "error", message: "network.pod_network_cidr 10.96.0.0/12 and network.service_cidr 10.96.0.0/12 overlap", hint: "pods and services need separate address ranges; change one of them (Pharos' defaults are 10.32.0.0/12 and 10.96.0.0/12)", line: 3, col: 17 },
    ]],
    ["network:\n  service_cidr: 10.96.0.0/31\n", {}, false, [
      { severity: "error", message: "network.service_cidr 10.96.0.0/31 is too small for the DNS service address", hint: "the cluster DNS service takes host number 10 of the service network; use a shorter prefix", line: 2, col: 17 },
    ]],
    ["network:\n  firewalld: 5\n", {}, false, [
      { severity: "error", message: "network.firewalld must be a mapping of keys, not 5", hint: "write the keys of network.firewalld indented below it", line: 2, col: 14 },
    ]],
    ["network:\n  firewalld:\n    enabled: n\n", {}, false, [
      { severity: "error", message: "network.firewalld.enabled must be true or false, not \"n\"", hint: "write true or false (or yes/no, on/off, as Pharos read YAML 1.1); the default is false", line: 3, col: 14 },
    ]],
    ["network:\n  custom: 5\n", {}, false, [
      { severity: "error", message: "network.custom must be a mapping of keys, not 5", hint: "write the keys of network.custom indented below it", line: 2, col: 11 },
    ]],
    ["network:\n  custom:\n    manifest_pat: x\n", {}, true, [
      { severity: "warning", message: "unknown key `network.custom.manifest_pat` in cluster.yml", hint: "did you mean `network.custom.manifest_path`?", line: 3, col: 5 },
    ]],
    ["network:\n  provider: custom\n", {}, false, [
      { severity: "error", message: "network.provider is custom but network.custom.manifest_path is not set", hint: "add network.custom.manifest_path: the folder (or single file) of manifests, relative to the folder holding cluster.yml", line: 1, col: 1 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    options: {}\n", {}, false, [
      { severity: "error", message: "network.provider is custom but network.custom.manifest_path is not set", hint: "add network.custom.manifest_path: the folder (or single file) of manifests, relative to the folder holding cluster.yml", line: 3, col: 3 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: \"\"\n", {}, false, [
      { severity: "error", message: "network.custom.manifest_path must be a path, not \"\"", hint: "write the folder (or single file) of manifests, relative to the folder holding cluster.yml, e.g. ./network/", line: 4, col: 20 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: [a]\n", {}, false, [
      { severity: "error", message: "network.custom.manifest_path must be a path, not a list", hint: "write the folder (or single file) of manifests, relative to the folder holding cluster.yml, e.g. ./network/", line: 4, col: 20 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: ../x\n", {}, false, [
      { severity: "error", message: "network.custom.manifest_path leads outside the folder holding cluster.yml: PARENT/x", hint: "keep the manifests beside cluster.yml; if you trust this config, pass --allow-outside-manifests", line: 4, col: 20 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: ./missing\n", {}, false, [
      { severity: "error", message: "manifest path does not exist: DIR/missing", hint: "network.custom.manifest_path is relative to the folder holding cluster.yml", line: 4, col: 20 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: ./a.txt\n", { 'a.txt': 'x' }, false, [
      { severity: "error", message: "manifest path is not a manifest file: DIR/a.txt", hint: "a single manifest must end in .yml, .yaml, .yml.erb, .yaml.erb, .yml.liquid or .yaml.liquid", line: 4, col: 20 },
    ]],
    ["network:\n  provider: custom\n  custom:\n    manifest_path: ./empty\n", { empty: { 'x.txt': '' } }, false, [
      { severity: "error", message: "no manifests in DIR/empty", hint: "the folder must hold *.yml, *.yaml, *.yml.erb, *.yaml.erb, *.yml.liquid or *.yaml.liquid files (read non-recursively, dotfiles skipped)", line: 4, col: 20 },
    ]],
    ["network:\n  pod_network_cidr: abc\n", {}, false, [
      { severity: "error", message: "network.pod_network_cidr is not a valid CIDR: \"abc\" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)", hint: "write an address and a prefix length, e.g. 10.32.0.0/12 (IPv4) or fd00:10:96::/108 (IPv6)", line: 2, col: 21 },
    ]],
    ["network:\n  pod_network_cidr: [abc\n", {}, false, [
      { severity: "error", message: "invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]", hint: "fix the YAML syntax of cluster.yml here", line: 3, col: 1 },
    ]],
    ["network: {}\n---\nx: 1\n", {}, false, [
      { severity: "error", message: "invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()", hint: "cluster.yml holds a single YAML document; remove the `---` separator", line: 2, col: 1 },
    ]],
    ["network:\n  provider: *nope\n", {}, false, [
      { severity: "error", message: "invalid YAML: alias *nope has no anchor before it", hint: "mark the value it stands for with &name, above this line", line: 2, col: 13 },
    ]],
    ["network:\n  provider: !!foo weave\n", {}, true, [
      { severity: "warning", message: "Unresolved tag: tag:yaml.org,2002:foo", hint: "the tag is ignored and the value read as plain YAML", line: 2, col: 13 },
    ]],
    ["network: {provider: 5, pod_network_cidr: x}\n", {}, false, [
      { severity: "error", message: "network.provider must be one of weave, calico, custom, not 5", hint: "choose one of: weave, calico, custom (this tool renders custom; the others are built into Pharos)", line: 1, col: 21 },
      { severity: "error", message: "network.pod_network_cidr is not a valid CIDR: \"x\" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)", hint: "write an address and a prefix length, e.g. 10.32.0.0/12 (IPv4) or fd00:10:96::/108 (IPv6)", line: 1, col: 42 },
    ]],
    ["netwrok: {}\n", {}, true, [
      { severity: "warning", message: "unknown key `netwrok` in cluster.yml", hint: "did you mean `network`?", line: 1, col: 1 },
    ]],
    ["network:\n  porvider: weave\n", {}, true, [
      { severity: "warning", message: "unknown key `network.porvider` in cluster.yml", hint: "did you mean `network.provider`?", line: 2, col: 3 },
    ]],
    ["zzzzzz: 1\n", {}, true, [
      { severity: "warning", message: "unknown key `zzzzzz` in cluster.yml", hint: "Pharos does not read it; known keys: name, hosts, network, api, authentication, audit, kube_proxy, kubelet, control_plane, telemetry, pod_security_policy, image_repository, addon_paths, addons, etcd, cloud, admission_plugins, container_runtime, salt, cluster_name", line: 1, col: 1 },
    ]],
  ]
  for (const [yaml, files, loads, expected] of cases) {
    const dir = t.testdir({ 'cluster.yml': yaml, ...files })
    const place = (text: string) => text.replace('DIR', dir).replace('PARENT', dirname(dir))
    const want = expected.map((d) => ({ ...d, message: place(d.message) }))
    let got: Diagnostic[]
    try {
      got = (await loadClusterConfig({ cwd: dir })).warnings
      t.ok(loads, `${JSON.stringify(yaml)} loads`)
    } catch (error) {
      t.notOk(loads, `${JSON.stringify(yaml)} fails`)
      got = error instanceof InputErrors ? error.diagnostics : [(error as ConfigError).toDiagnostic()]
    }
    t.same(got.map(({ severity, message, hint, line, col }) => ({ severity, message, hint, line, col })), want, JSON.stringify(yaml))
  }
})

t.test('finding cluster.yml: a path through a file is not found; a name too long cannot be read (exit 3)', async (t) => {
  const dir = t.testdir({ 'a-file': 'x', 'cluster.yml.erb': 'network: {}\n' })
  await t.rejects(loadClusterConfig({ cwd: dir, file: 'a-file/cluster.yml' }), {
    constructor: ConfigError,
    message: 'config file not found: a-file/cluster.yml',
    hint: `looked for ${join(dir, 'a-file', 'cluster.yml')}; a relative -c PATH starts at the current folder`,
  })
  const long = `${'n'.repeat(300)}.yml`
  await t.rejects(loadClusterConfig({ cwd: dir, file: long }), {
    exitCode: 3,
    message: new RegExp(`^cannot read config file ${join(dir, long)}: ENAMETOOLONG`),
    hint: "check the file's permissions",
  })
  t.equal((await loadClusterConfig({ cwd: dir })).file, join(dir, 'cluster.yml.erb'), 'cluster.yml.erb when there is no cluster.yml')
})
