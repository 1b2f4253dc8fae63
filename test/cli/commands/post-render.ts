import t from 'tap'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { runCli } from '../../helpers/cli.js'
import { repoRoot } from '../../helpers/paths.js'

const legacyDaemonSet = [
  '# Source: net/templates/daemon-set.yaml',
  'apiVersion: extensions/v1beta1',
  'kind: DaemonSet',
  'metadata:',
  '  name: net',
  'spec:',
  '  template:',
  '    metadata:',
  '      labels:',
  '        app: net',
  '    spec:',
  '      containers:',
  '        - name: net',
  '          image: busybox',
  '',
].join('\n')

t.test('the stream on stdout, labelled; removed APIs as warnings on stderr, which --quiet silences', async (t) => {
  const cwd = t.testdir({})
  const run = await runCli(['post-render'], { cwd, stdin: legacyDaemonSet })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, legacyDaemonSet.replace('  name: net\n', '  name: net\n  labels:\n    pharos.kontena.io/stack: custom-network\n'))
  t.match(run.stderr, /^<stdin>:2: warning: DaemonSet net uses extensions\/v1beta1, removed in Kubernetes 1\.16; use apps\/v1\n {2}hint: .*--upgrade-apis/)
  t.same(await runCli(['post-render', '-q'], { cwd, stdin: legacyDaemonSet }), { ...run, stderr: '' })
})

t.test('--upgrade-apis and --no-label: upgraded, each upgrade a note; no label added', async (t) => {
  const run = await runCli(['post-render', '--upgrade-apis', '--no-label'], { cwd: t.testdir({}), stdin: legacyDaemonSet })
  t.equal(run.code, 0, run.stderr)
  const [daemonSet] = parseAllDocuments(run.stdout).map((d) => d.toJS() as Record<string, any>)
  t.equal(daemonSet?.apiVersion, 'apps/v1')
  t.equal(daemonSet?.metadata.labels, undefined)
  t.match(run.stderr, /^<stdin>:2: note: DaemonSet net: extensions\/v1beta1 → apps\/v1/)
})

t.test('render’s own stream passes through unchanged: the label is there already', async (t) => {
  const cwd = t.testdir({})
  const config = join(repoRoot, 'examples', 'flannel', 'cluster.yml')
  const rendered = await runCli(['render', '--stdout', '-q', '--upgrade-apis', '-c', config], { cwd })
  t.equal(rendered.code, 0, rendered.stderr)
  const run = await runCli(['post-render'], { cwd, stdin: rendered.stdout })
  t.same(run, { code: 0, stdout: rendered.stdout, stderr: '' })
})

t.test('bad input is exit 2: one error on stderr at its line, nothing on stdout', async (t) => {
  const cwd = t.testdir({})
  const nameless = await runCli(['post-render'], { cwd, stdin: `${legacyDaemonSet}---\napiVersion: v1\nkind: ConfigMap\n` })
  t.equal(nameless.code, 2)
  t.equal(nameless.stdout, '')
  t.match(nameless.stderr, /^<stdin>:16:1: error: document has no metadata\.name\n/)

  const empty = await runCli(['post-render'], { cwd, stdin: '# Source: net/templates/off.yaml\n' })
  t.same(empty, { code: 2, stdout: '', stderr: empty.stderr })
  t.match(empty.stderr, /^<stdin>: error: the input holds no Kubernetes object\n {2}hint: a post-renderer reads the manifests Helm rendered on standard input/)

  const broken = await runCli(['post-render'], { cwd, stdin: 'kind: [\n' })
  t.equal(broken.code, 2)
  t.match(broken.stderr, /^<stdin>:\d+:\d+: error: invalid YAML/)
})

t.test('without standard input: a usage error', async (t) => {
  const run = await runCli(['post-render'], { cwd: t.testdir({}) })
  t.equal(run.code, 2)
  t.match(run.stderr, /^error: no standard input to read\n/)
})
