/**
 * The render command end to end: the built binary found by the real kubectl as a plugin, its output built
 * by the real `kubectl kustomize`.
 */
import t from 'tap'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { corpusCluster, corpusMissing } from '../helpers/corpus.js'
import { compareWithGolden } from '../helpers/golden.js'
import { binDir, corpusDir, fixturesDir } from '../helpers/paths.js'
import { kubectl as run } from '../helpers/tool.js'

const kubectl = (args: string[], cwd?: string) => run(args, { cwd })

/** Objects in a YAML stream, `kind: List` counted by its items, as kustomize does. */
function objectsIn(text: string): Array<Record<string, any>> {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((o) => o !== null)
    .flatMap((o) => (o.kind === 'List' ? o.items : [o]))
}

t.test('kubectl finds the plugin', async (t) => {
  const { stdout } = await kubectl(['plugin', 'list'])
  t.match(stdout, join(binDir, 'kubectl-pharos_net'))
  const help = await kubectl(['pharos-net', '--help'])
  t.equal(help.exitCode, 0)
  t.match(help.stdout, /render/)
})

t.test('the bundled example renders to the golden folder and builds with kustomize', async (t) => {
  const out = join(t.testdir({}), 'out')
  const run = await kubectl(['pharos-net', 'render', '-c', 'examples/flannel/cluster.yml', '-o', out])
  t.equal(run.exitCode, 0, run.stderr)
  await compareWithGolden(t, out, join(fixturesDir, 'example-flannel', 'expected'))

  const built = await kubectl(['kustomize', out])
  t.equal(built.exitCode, 0, built.stderr)
  const objects = objectsIn(built.stdout)
  t.same(objects.map((o) => o.kind), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount', 'ConfigMap'])
  t.ok(objects.every((o) => o.metadata.labels['pharos.kontena.io/stack'] === 'custom-network'), 'stack label on all')
  const cm = objects.find((o) => o.kind === 'ConfigMap')
  t.match(cm?.data['net-conf.json'], '"Network": "172.31.0.0/16"')

  const stream = await kubectl(['pharos-net', 'render', '-c', 'examples/flannel/cluster.yml', '--stdout'])
  t.equal(stream.exitCode, 0, stream.stderr)
  t.same(objectsIn(stream.stdout), objects, '--stdout gives what kustomize builds')
})

t.test('two renders are byte-identical', async (t) => {
  const dir = t.testdir({})
  for (const name of ['a', 'b']) {
    const run = await kubectl(['pharos-net', 'render', '-c', 'examples/flannel/cluster.yml', '-o', join(dir, name)])
    t.equal(run.exitCode, 0, run.stderr)
  }
  const names = (await readdir(join(dir, 'a'))).sort()
  t.same((await readdir(join(dir, 'b'))).sort(), names, 'the same files')
  t.ok(names.length > 2, 'files were written')
  for (const name of names) {
    t.equal(await readFile(join(dir, 'b', name), 'utf8'), await readFile(join(dir, 'a', name), 'utf8'), name)
  }
})

t.test('init --provider flannel scaffolds a set that renders to the golden folder and builds', async (t) => {
  const dir = t.testdir({})
  const init = await kubectl(['pharos-net', 'init', '--provider', 'flannel', join(dir, 'net')])
  t.equal(init.exitCode, 0, init.stderr)
  const out = join(dir, 'out')
  const run = await kubectl(['pharos-net', 'render', '-c', join(dir, 'net', 'cluster.yml'), '-o', out])
  t.equal(run.exitCode, 0, run.stderr)
  await compareWithGolden(t, out, join(fixturesDir, 'init-flannel', 'expected'))
  const built = await kubectl(['kustomize', out])
  t.equal(built.exitCode, 0, built.stderr)
  t.same(objectsIn(built.stdout).map((o) => o.kind), [
    'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'DaemonSet',
  ])
})

t.test('every corpus file renders as a custom network and kustomize keeps every resource', { skip: corpusMissing() }, async (t) => {
  const folders = (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory())
  t.ok(folders.length >= 9, `corpus found at ${corpusDir}`)
  for (const folder of folders) {
    const [file] = await readdir(join(corpusDir, folder.name))
    t.ok(file, `${folder.name} holds a manifest`)
    if (!file) continue
    t.test(`${folder.name}/${file}`, async (t) => {
      const dir = t.testdir({})
      const { manifest } = await corpusCluster(dir, folder.name)
      const out = join(dir, 'out')
      const run = await kubectl(['pharos-net', 'render', '-o', out], dir)
      t.equal(run.exitCode, 0, run.stderr)
      const built = await kubectl(['kustomize', out])
      t.equal(built.exitCode, 0, built.stderr)
      const expected = objectsIn(await readFile(manifest, 'utf8'))
      const objects = objectsIn(built.stdout)
      t.equal(objects.length, expected.length, 'every resource kept')
      t.same(
        objects.map((o) => `${o.kind}/${o.metadata.name}`),
        expected.map((o) => `${o.kind}/${o.metadata.name}`),
        'in file order',
      )
      if (folder.name === 'weave') t.equal(objects.length, 6, 'the weave List expands to 6')
    })
  }
})
