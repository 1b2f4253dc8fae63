import t from 'tap'
import { Readable } from 'node:stream'
import { parseAllDocuments } from 'yaml'
import { ManifestError } from '../src/errors.js'
import { DEFAULT_LIMITS, LimitError } from '../src/limits.js'
import { postRenderManifests, type PostRenderOptions } from '../src/post-render.js'

/** What Helm 3 hands a post-renderer: each template's documents after a `# Source:` comment. */
const HELM_STREAM = [
  '---',
  '# Source: net/templates/config-map.yaml',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: rel-config',
  'data:',
  '  mtu: "1450"',
  '---',
  '# Source: net/templates/daemon-set.yaml',
  'apiVersion: extensions/v1beta1',
  'kind: DaemonSet',
  'metadata:',
  '  name: rel-net',
  '  labels: {app: net}',
  'spec:',
  '  template:',
  '    metadata:',
  '      labels: {app: net}',
  '    spec:',
  '      containers: [{name: net, image: quay.io/coreos/flannel:v0.10.0-amd64}]',
  '',
].join('\n')

const run = (text: string, options: Partial<PostRenderOptions> = {}) =>
  postRenderManifests(Readable.from([Buffer.from(text)]), { label: true, ...options })

const objects = (stream: string) => parseAllDocuments(stream).map((d) => d.toJS() as Record<string, any>)

t.test('the stream comes back checked and labelled, comments kept, in the same order', async (t) => {
  const result = await run(HELM_STREAM)
  const out = objects(result.stream)
  t.same(out.map((o) => [o.kind, o.metadata.name, o.metadata.labels]), [
    ['ConfigMap', 'rel-config', { 'pharos.kontena.io/stack': 'custom-network' }],
    ['DaemonSet', 'rel-net', { app: 'net', 'pharos.kontena.io/stack': 'custom-network' }],
  ])
  t.match(result.stream, /^# Source: net\/templates\/config-map\.yaml$/m, 'Helm’s source comments stay')
  t.same(result.removedApis.map((f) => [f.kind, f.apiVersion]), [['DaemonSet', 'extensions/v1beta1']], 'reported, not changed')
  t.same(result.warnings.map((w) => [w.file, w.line, w.severity]), [['<stdin>', 11, 'warning']])
  t.equal(out[1]?.apiVersion, 'extensions/v1beta1')
})

t.test('--upgrade-apis rewrites removed APIs; --no-label leaves labels alone', async (t) => {
  const result = await run(HELM_STREAM, { upgradeApis: true, label: false })
  const [configMap, daemonSet] = objects(result.stream)
  t.equal(daemonSet?.apiVersion, 'apps/v1')
  t.same(daemonSet?.spec.selector, { matchLabels: { app: 'net' } })
  t.same(daemonSet?.metadata.labels, { app: 'net' }, 'no stack label')
  t.equal(configMap?.metadata.labels, undefined)
  t.same(result.upgrades.map((u) => [u.kind, u.from, u.to]), [['DaemonSet', 'extensions/v1beta1', 'apps/v1']])
  t.same(result.removedApis, [])
})

t.test('--drop-removed leaves out a PodSecurityPolicy; dropping everything is an error, not an empty stream', async (t) => {
  const psp = '---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\nspec: {}\n'
  const result = await run(HELM_STREAM + psp, { dropRemoved: true })
  t.same(objects(result.stream).map((o) => o.kind), ['ConfigMap', 'DaemonSet'])
  t.same(result.dropped.map((d) => d.kind), ['PodSecurityPolicy'])
  await t.rejects(run(psp, { dropRemoved: true }), {
    constructor: ManifestError, message: 'every object was left out by --drop-removed (1 of them)', file: '<stdin>',
  })
})

t.test('no object in the input is an error (Helm 4 would fail on the empty output anyway)', async (t) => {
  for (const text of ['', '\n', '---\n# Source: net/templates/empty.yaml\n# nothing rendered\n']) {
    await t.rejects(run(text), { constructor: ManifestError, message: 'the input holds no Kubernetes object', file: '<stdin>' }, JSON.stringify(text))
  }
})

t.test('comment-only and empty documents between objects are dropped', async (t) => {
  const result = await run(`---\n# Source: net/templates/nothing.yaml\n# off by default\n${HELM_STREAM}---\n---\n`)
  t.same(objects(result.stream).map((o) => o.kind), ['ConfigMap', 'DaemonSet'])
})

t.test('the document checks of render: a nameless object is refused at its line', async (t) => {
  const error = await run(`${HELM_STREAM}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`).catch((e: unknown) => e)
  t.match(error, { constructor: ManifestError, message: 'document has no metadata.name', file: '<stdin>', line: 23 })
})

t.test('hooks may define what a template defines (Helm creates both); two templates may not', async (t) => {
  const hook = '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-config\n  annotations:\n    helm.sh/hook: pre-install\n'
  const result = await run(HELM_STREAM + hook)
  const out = objects(result.stream)
  t.same(out.map((o) => [o.kind, o.metadata.name]), [['ConfigMap', 'rel-config'], ['DaemonSet', 'rel-net'], ['ConfigMap', 'rel-config']])
  t.same(out[2]?.metadata.labels, { 'pharos.kontena.io/stack': 'custom-network' }, 'hooks are labelled too')
  const twice = '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-config\n'
  await t.rejects(run(HELM_STREAM + twice), { constructor: ManifestError, message: /^ConfigMap rel-config is defined twice/ })
})

t.test('standard input is read under the file-size limit', async (t) => {
  await t.rejects(run(HELM_STREAM, { limits: { ...DEFAULT_LIMITS, 'file-size': 100 } }), LimitError)
})
