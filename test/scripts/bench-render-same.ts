/**
 * scripts/bench-render-same.mjs is what keeps scripts/bench-render.sh honest: the benchmark compares
 * tools only after it says their outputs hold the same objects. Same objects pass whatever their order,
 * key order, comments and quoting; a changed value, a missing object or a label kustomize would not add
 * fails. An output folder is read as kustomize builds it.
 */
import t from 'tap'
import { execa } from 'execa'
import { join } from 'node:path'
import { repoRoot } from '../helpers/paths.js'

const script = join(repoRoot, 'scripts', 'bench-render-same.mjs')
const same = (...paths: string[]) => execa('node', [script, ...paths], { env: { NODE_OPTIONS: '' }, reject: false })

const stream = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: x\n    pharos.kontena.io/stack: custom-network\ndata:\n  n: "1"\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  labels:\n    pharos.kontena.io/stack: custom-network\n'
const folder = {
  '01-b.yml': 'kind: Service\napiVersion: v1\nmetadata: {name: b}\n',
  '02-a.yml': '# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: x}}\ndata: {n: \'1\'}\n',
  'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsortOptions: {order: fifo}\n' +
    'labels:\n  - pairs: {pharos.kontena.io/stack: custom-network}\n    includeSelectors: false\n    includeTemplates: false\n' +
    'resources: [01-b.yml, 02-a.yml]\n',
}

t.test('the same objects in another order, layout and quoting, as a stream and as an output folder', async (t) => {
  const dir = t.testdir({
    'helm.yaml': `---\n# Source: bench/templates/a.yaml\n${stream.split('---\n').reverse().join('---\n')}`,
    'ours.yaml': stream,
    out: folder,
  })
  const run = await same(join(dir, 'helm.yaml'), join(dir, 'ours.yaml'), join(dir, 'out'))
  t.equal(run.exitCode, 0, run.stderr)
  t.equal(run.stdout, '2 1 ConfigMap 1 Service')
})

t.test('a value of another type, a missing object or a missing label fails', async (t) => {
  const dir = t.testdir({
    'ours.yaml': stream,
    'number.yaml': stream.replace('n: "1"', 'n: 1'),
    'short.yaml': stream.split('---\n')[0],
    out: { ...folder, 'kustomization.yaml': folder['kustomization.yaml'].replace(/labels:\n(.*\n){3}/, '') },
  })
  for (const other of ['number.yaml', 'short.yaml', 'out']) {
    const run = await same(join(dir, 'ours.yaml'), join(dir, other))
    t.equal(run.exitCode, 1, `${other} differs`)
    t.match(run.stderr, /^bench-render-same: /, `${other}: says how`)
  }
})

t.test('a kustomization field this reading does not apply is refused, never passed over', async (t) => {
  const dir = t.testdir({
    'ours.yaml': stream,
    out: { ...folder, 'kustomization.yaml': `${folder['kustomization.yaml']}namespace: other\n` },
  })
  const run = await same(join(dir, 'ours.yaml'), join(dir, 'out'))
  t.equal(run.exitCode, 1)
  t.match(run.stderr, /^bench-render-same: .*namespace not read here/)
})
