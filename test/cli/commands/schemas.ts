/**
 * schemas through the CLI in-process: where the version comes from, OpenAPI and CRDs together, and the
 * cluster read through a stand-in kubectl (the e2e tests run it against the real API server).
 */
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { fakeKubectl } from '../../helpers/fake-kubectl.js'
import { filesBelow } from '../../helpers/hostile.js'
import { widgetCrd } from '../../helpers/widgets.js'

const openapi = (version: string) => JSON.stringify({
  swagger: '2.0',
  info: { title: 'Kubernetes', version },
  paths: {},
  definitions: {
    'io.k8s.api.core.v1.ConfigMap': {
      type: 'object',
      properties: { data: { type: 'object', additionalProperties: { type: 'string' } } },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
  },
})

t.test('from an OpenAPI document: the version is the document\'s unless given', async (t) => {
  const cwd = t.testdir({ 'openapi.json': openapi('v1.30.2'), 'odd.json': openapi('unknown') })
  const run = await runCli(['schemas', '--from-openapi', 'openapi.json', '-d', 'out'], { cwd })
  t.same(run, { code: 0, stdout: '', stderr: 'wrote 2 schemas for Kubernetes v1.30.2 into out\n' })
  t.same(await filesBelow(join(cwd, 'out')), ['v1.30.2-standalone-strict/configmap-v1.json', 'v1.30.2-standalone/configmap-v1.json'])

  t.equal((await runCli(['schemas', '--from-openapi', 'openapi.json', '--kubernetes-version', '1.31', '-d', 'given'], { cwd })).stderr,
    'wrote 2 schemas for Kubernetes v1.31.0 into given\n')
  t.equal((await runCli(['schemas', '--from-openapi', 'odd.json', '-d', 'odd'], { cwd })).stderr,
    'wrote 2 schemas for Kubernetes master into odd\n', 'a document without a version: master')
  t.same(await runCli(['schemas', '-q', '--from-openapi', 'openapi.json', '-d', 'quiet'], { cwd }), { code: 0, stdout: '', stderr: '' })
})

t.test("the document's version: x.y.z at its start, with or without v; anything else is master", async (t) => {
  const versions: Array<[info: unknown, expected: string]> = [
    [{ version: 'v1.30.12' }, 'v1.30.12'], [{ version: '1.29.3-eks' }, 'v1.29.3'], [{ version: 'build-1.2.3' }, 'master'],
    [{ version: 'v1.30' }, 'master'], [{ version: 130 }, 'master'], [undefined, 'master'],
  ]
  for (const [info, expected] of versions) {
    const cwd = t.testdir({ 'openapi.json': JSON.stringify({ ...JSON.parse(openapi('x')), info }) })
    const run = await runCli(['schemas', '--from-openapi', 'openapi.json', '-d', 'out'], { cwd })
    t.equal(run.stderr, `wrote 2 schemas for Kubernetes ${expected} into out\n`, JSON.stringify(info))
  }
})

t.test('CRDs from files or folders, alone or with OpenAPI; other objects there are passed over', async (t) => {
  const cwd = t.testdir({
    'openapi.json': openapi('v1.30.2'),
    net: { 'crd.yml': widgetCrd(), 'cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' },
  })
  t.equal((await runCli(['schemas', '--crds', 'net', '-d', 'crds'], { cwd })).stderr, 'wrote 2 schemas for Kubernetes master into crds\n')
  t.same(await filesBelow(join(cwd, 'crds')), ['master-standalone-strict/widget-example-v1.json', 'master-standalone/widget-example-v1.json'])
  const both = await runCli(['schemas', '--from-openapi', 'openapi.json', '--crds', 'net/crd.yml', '-d', 'both'], { cwd })
  t.equal(both.stderr, 'wrote 4 schemas for Kubernetes v1.30.2 into both\n')
  const widget = JSON.parse(await readFile(join(cwd, 'both', 'v1.30.2-standalone-strict', 'widget-example-v1.json'), 'utf8'))
  t.same(widget.properties.spec.properties.size, { type: ['integer', 'null'] }, "the CRD's schema, nullable as kubeconform's converter writes it")
})

t.test('from the cluster: its /openapi/v2, and its version from kubectl version', async (t) => {
  const cwd = t.testdir({})
  const { kubectl } = await fakeKubectl(cwd, {
    version: `echo '{"clientVersion":{"gitVersion":"v1.32.0","minor":"32"},"serverVersion":{"gitVersion":"v1.32.4+k3s1","minor":"32"}}'`,
    get: `echo '${openapi('unknown')}'`,
  })
  const run = await runCli(['schemas', '--from-cluster', '--kubectl', kubectl, '--context', 'lab', '-d', 'out'], { cwd, env: { PATH: process.env.PATH ?? '' } })
  t.same(run, { code: 0, stdout: '', stderr: 'wrote 2 schemas for Kubernetes v1.32.4 into out\n' }, 'the server version without its build suffix')
  const calls = (await readFile(join(cwd, 'calls'), 'utf8')).trim().split('\n')
  t.ok(calls.some((c) => c.includes('get --raw /openapi/v2') && c.includes('--context lab')), 'the cluster of --context')
  t.ok(calls.some((c) => c.includes('version -o json')))

  const given = await runCli(['schemas', '--from-cluster', '--kubectl', kubectl, '--kubernetes-version', '1.30.1', '-d', 'given'], { cwd, env: { PATH: process.env.PATH ?? '' } })
  t.equal(given.stderr, 'wrote 2 schemas for Kubernetes v1.30.1 into given\n')
})

t.test('without a source, or with two, it says what it needs', async (t) => {
  const cwd = t.testdir({ 'openapi.json': openapi('v1.30.2') })
  const none = await runCli(['schemas', '-d', 'out'], { cwd })
  t.equal(none.code, 2)
  t.equal(none.stderr, 'error: schemas needs --from-openapi FILE, --from-cluster or --crds PATH\n  hint: run `kubectl pharos-net schemas --help`\n')
  const both = await runCli(['schemas', '--from-openapi', 'openapi.json', '--from-cluster', '-d', 'out'], { cwd })
  t.equal(both.code, 2)
  t.match(both.stderr, /mutually exclusive/)
  t.same(await readdir(cwd), ['openapi.json'], 'nothing written')
})
