import t from 'tap'
import { join } from 'node:path'
import { manifestStreamSource } from '../src/discover.js'
import { checkDocumentsOf } from '../src/documents.js'
import { ConfigError, UsageError } from '../src/errors.js'
import { LimitError, resolveLimits } from '../src/limits.js'
import { applyApiOptions, readRenderedManifests, renderManifestSet } from '../src/pipeline.js'

const CLUSTER = 'network:\n  provider: custom\n  pod_network_cidr: 10.32.0.0/12\n  custom:\n    manifest_path: ./net/\n'
// A DaemonSet whose API has a replacement (apps/v1, from 1.16), and a PodSecurityPolicy whose API has none (1.25).
const DAEMONSET = 'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: kube-system\nspec:\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers: [{name: a, image: a}]\n'
const PSP = 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: open\nspec: {}\n'
const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: kube-system\n'

const documentsOf = (text: string) => checkDocumentsOf([manifestStreamSource(text, 'set.yml')])
const names = (docs: Array<{ object: { kind: string; metadata?: { name?: string } } }>) => docs.map((d) => `${d.object.kind}/${d.object.metadata?.name}`)

t.test('render: cluster.yml → checked documents, removed APIs reported as warnings at their line', async (t) => {
  const cwd = t.testdir({ 'cluster.yml': CLUSTER, net: { '01.yml': CONFIGMAP, '02.yml.liquid': `---\n${PSP}` } })
  const set = await renderManifestSet({ cwd, env: {} })
  t.same(names(set.documents), ['ConfigMap/settings', 'PodSecurityPolicy/open'])
  t.same(set.discovered.sources.map((s) => s.name), ['01.yml', '02.yml.liquid'])
  t.equal(set.config.file, join(cwd, 'cluster.yml'))
  t.same(set.warnings, [{
    severity: 'warning',
    file: join(cwd, 'net', '02.yml.liquid'),
    line: 2,
    message: set.removedApis[0]?.message,
    hint: set.removedApis[0]?.hint,
  }])
  t.match(set.removedApis, [{ kind: 'PodSecurityPolicy', removedIn: '1.25' }])
  t.same((await renderManifestSet({ cwd, env: {}, kubernetesVersion: '1.24.0' })).warnings, [], 'not yet removed in the version asked for')
})

t.test('render: the run limits reach discovery', async (t) => {
  const cwd = t.testdir({ 'cluster.yml': CLUSTER, net: { '01.yml': `${CONFIGMAP}data:\n  big: ${'x'.repeat(100)}\n` } })
  await t.rejects(renderManifestSet({ cwd, env: {}, limits: resolveLimits(['file-size=150']) }), { constructor: LimitError, limit: 'file-size', file: join(cwd, 'net', '01.yml') })
})

t.test('render: a provider built into Pharos has no manifest folder to render', async (t) => {
  const cwd = t.testdir({ 'cluster.yml': 'network:\n  provider: calico\n' })
  await t.rejects(renderManifestSet({ cwd, env: {} }), {
    constructor: ConfigError,
    file: join(cwd, 'cluster.yml'),
    message: 'network.provider is calico: that network is built into Pharos',
    hint: 'set network.provider: custom with custom.manifest_path, or scaffold a manifest folder with `kubectl pharos-net init --provider flannel DIR`',
  })
})

t.test('--upgrade-apis and --drop-removed, alone and together', async (t) => {
  const checked = documentsOf(`${DAEMONSET}---\n${PSP}---\n${CONFIGMAP}`)

  const plain = applyApiOptions(checked, {})
  t.same(names(plain.documents), ['DaemonSet/agent', 'PodSecurityPolicy/open', 'ConfigMap/settings'], 'nothing changes by default')
  t.same(plain.removedApis.map((f) => f.kind), ['DaemonSet', 'PodSecurityPolicy'])
  t.same([plain.upgrades, plain.dropped], [[], []])

  const upgraded = applyApiOptions(checked, { upgradeApis: true })
  t.same(upgraded.documents.map((d) => d.object.apiVersion), ['apps/v1', 'policy/v1beta1', 'v1'])
  t.same(upgraded.upgrades.map((u) => [u.kind, u.from, u.to]), [['DaemonSet', 'extensions/v1beta1', 'apps/v1']])
  t.same(upgraded.removedApis.map((f) => f.kind), ['PodSecurityPolicy'], 'what has no replacement is still reported')
  t.same(upgraded.dropped, [])

  const dropped = applyApiOptions(checked, { dropRemoved: true })
  t.same(names(dropped.documents), ['DaemonSet/agent', 'ConfigMap/settings'], 'only what has no replacement is left out')
  t.same(dropped.dropped.map((f) => [f.kind, f.line]), [['PodSecurityPolicy', 13]])
  t.same(dropped.removedApis.map((f) => f.kind), ['DaemonSet'], 'not upgraded: still reported')
  t.same(dropped.upgrades, [])

  const both = applyApiOptions(checked, { upgradeApis: true, dropRemoved: true })
  t.same(names(both.documents), ['DaemonSet/agent', 'ConfigMap/settings'])
  t.equal(both.documents[0]?.object.apiVersion, 'apps/v1')
  t.same(both.dropped.map((f) => f.kind), ['PodSecurityPolicy'])
  t.same(both.removedApis, [])

  t.same(applyApiOptions(checked, { kubernetesVersion: '1.15.0' }).removedApis, [], 'nothing was removed yet in 1.15')
})

t.test('a rendered folder: its documents, checked; a template is refused', async (t) => {
  const dir = t.testdir({ '01.yml': CONFIGMAP, '02.yml': PSP, 'kustomization.yaml': 'resources: [01.yml, 02.yml]\n' })
  t.same(names(await readRenderedManifests(dir)), ['ConfigMap/settings', 'PodSecurityPolicy/open'])
  await t.rejects(readRenderedManifests(dir, resolveLimits(['file-size=20'])), { constructor: LimitError, limit: 'file-size' })
  const templated = t.testdir({ '01.yml.erb': CONFIGMAP })
  await t.rejects(readRenderedManifests(templated), { constructor: UsageError, message: '01.yml.erb is a template' })
})
