/**
 * validate end to end: the built tool through kubectl, the real kubeconform from scripts/install-tools.sh,
 * schemas generated from the pinned release's swagger.json (by the `schemas` command, and in-process by
 * its code for the other tests).
 */
import t from 'tap'
import { execa } from 'execa'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { corpusCluster, corpusMissing } from '../helpers/corpus.js'
import { corpusDir } from '../helpers/paths.js'
import { testSchemaDir, TEST_KUBERNETES_VERSION } from '../helpers/schemas.js'
import { snapshotTree } from '../helpers/hostile.js'
import { pharosNet } from '../helpers/tool.js'
import { widget, widgetCrd } from '../helpers/widgets.js'

const LEGACY = new Set(['flannel-legacy', 'flannel-legacy-2019'])

interface JsonReport {
  kubernetesVersion: string
  summary: { resources: number; valid: number; invalid: number; errors: number; skipped: number; removedApis: number }
  resources: Array<{
    file: string
    rendered: boolean
    kind: string
    name: string
    apiVersion: string
    status: string
    errors: Array<{ path: string; message: string; line: number }>
    removedApi: { removedIn: string; replacement: string | null } | null
  }>
}


t.test('schemas --from-openapi writes the folder kubeconform reads, as the code behind it does', async (t) => {
  const openapi = process.env.PHAROS_TEST_OPENAPI
  if (!openapi) throw new Error('PHAROS_TEST_OPENAPI is not set: run the tests with `npm test`')
  const dir = join(t.testdir({}), 'schemas')
  const run = await pharosNet(['schemas', '--from-openapi', openapi, '--kubernetes-version', TEST_KUBERNETES_VERSION, '-d', dir])
  t.equal(run.exitCode, 0, run.stderr)
  const [fromCli, fromCode] = [await snapshotTree(dir), await snapshotTree(await testSchemaDir())]
  t.ok(Object.keys(fromCli).length > 500, `${Object.keys(fromCli).length} files and folders`)
  t.ok(isDeepStrictEqual(fromCli, fromCode), 'byte for byte the same files')
})

t.test('the spec example: removed APIs are findings; after --upgrade-apis it validates clean', async (t) => {
  const schemas = await testSchemaDir()
  const before = await pharosNet(['validate', '-c', 'examples/flannel/cluster.yml', '--schema-location', schemas])
  t.equal(before.exitCode, 1, before.stderr)
  t.match(before.stdout, /03-daemon-set\.yml:2: error: DaemonSet kube-system\/kube-flannel-ds: .*extensions\/v1beta1.*1\.16.*apps\/v1/)
  t.match(before.stdout, /01-cluster-role\.yml:2: error: ClusterRole flannel: .*rbac\.authorization\.k8s\.io\/v1beta1.*1\.22/)
  t.match(before.stdout, /hint: .*--upgrade-apis/)
  t.match(before.stdout, new RegExp(`5 resources: 2 valid, 0 invalid, 0 errors, 0 skipped, 3 removed APIs \\(Kubernetes ${TEST_KUBERNETES_VERSION}\\)`))

  const after = await pharosNet(['validate', '-c', 'examples/flannel/cluster.yml', '--upgrade-apis', '--schema-location', schemas])
  t.equal(after.exitCode, 0, after.stdout + after.stderr)
  t.match(after.stdout, /5 resources: 5 valid, 0 invalid/)
})

t.test('every corpus file: modern ones validate clean (CRDs included), legacy ones get their removed APIs', { skip: corpusMissing() }, async (t) => {
  const schemas = await testSchemaDir()
  for (const folder of (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    t.test(folder.name, async (t) => {
      const { config } = await corpusCluster(t.testdir({}), folder.name)
      const run = await pharosNet(['validate', '-c', config, '--schema-location', schemas, '-o', 'json'])
      const report = JSON.parse(run.stdout) as JsonReport
      t.equal(report.kubernetesVersion, TEST_KUBERNETES_VERSION, 'version found from the schema folder')
      if (!LEGACY.has(folder.name)) {
        t.equal(run.exitCode, 0, JSON.stringify(report.resources.filter((r) => r.status !== 'valid'), null, 1))
        t.equal(report.summary.valid, report.summary.resources)
        return
      }
      t.equal(run.exitCode, 1)
      const removed = report.resources.filter((r) => r.status === 'removed-api')
      t.same(report.resources.filter((r) => r.status !== 'valid' && r.status !== 'removed-api'), [], 'nothing else')
      if (folder.name === 'flannel-legacy') {
        t.same(removed.map((r) => [r.kind, r.apiVersion, r.removedApi]), [
          ['DaemonSet', 'extensions/v1beta1', { removedIn: '1.16', replacement: 'apps/v1' }],
        ])
      } else {
        t.same(removed.map((r) => `${r.kind} ${r.apiVersion} ${r.removedApi?.removedIn} ${r.removedApi?.replacement}`), [
          'PodSecurityPolicy extensions/v1beta1 1.16 null',
          'ClusterRole rbac.authorization.k8s.io/v1beta1 1.22 rbac.authorization.k8s.io/v1',
          'ClusterRoleBinding rbac.authorization.k8s.io/v1beta1 1.22 rbac.authorization.k8s.io/v1',
          ...Array(5).fill('DaemonSet extensions/v1beta1 1.16 apps/v1'),
        ])
        const upgraded = await pharosNet(['validate', '-c', config, '--schema-location', schemas, '--upgrade-apis', '-o', 'json'])
        const left = (JSON.parse(upgraded.stdout) as JsonReport).resources.filter((r) => r.status !== 'valid')
        t.same(left.map((r) => [r.kind, r.status, r.removedApi?.replacement]), [['PodSecurityPolicy', 'removed-api', null]],
          'after --upgrade-apis only the PodSecurityPolicy is left')
        const dropped = await pharosNet(['validate', '-c', config, '--schema-location', schemas, '--upgrade-apis', '--drop-removed'])
        t.equal(dropped.exitCode, 0, dropped.stdout)
      }
    })
  }
})

const invalidConfig = 'network:\n  provider: custom\n  custom:\n    manifest_path: ./net\n    options:\n      replicas: three\n'
const invalidTemplate = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: {{ options.replicas | quote }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
`
const unknownField = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: default
  labelz: {a: b}
data: {}
`

t.test('invalid resources are reported with their source files, in text, JSON and JUnit', async (t) => {
  const schemas = await testSchemaDir()
  const dir = t.testdir({ 'cluster.yml': invalidConfig, net: { '01-web.yml.liquid': invalidTemplate, '02-cfg.yml': unknownField } })
  const text = await pharosNet(['validate', '--schema-location', schemas], { cwd: dir })
  t.equal(text.exitCode, 1)
  t.match(text.stdout, /^net\/01-web\.yml\.liquid: error: Deployment default\/web: spec\.replicas: .*(integer|string).*\(line 7 of the rendered output\)$/m)
  t.match(text.stdout, /^net\/02-cfg\.yml:4: error: ConfigMap default\/cfg: metadata: additional properties 'labelz' not allowed$/m)

  const json = await pharosNet(['validate', '--schema-location', schemas, '-o', 'json'], { cwd: dir })
  const report = JSON.parse(json.stdout) as JsonReport
  t.same(report.resources.map((r) => [r.file, r.rendered, r.status]), [
    ['net/01-web.yml.liquid', true, 'invalid'],
    ['net/02-cfg.yml', false, 'invalid'],
  ])
  t.match(report.resources[0]?.errors, [{ path: 'spec.replicas', line: 7 }])
  t.same(report.summary, { resources: 2, valid: 0, invalid: 2, errors: 0, skipped: 0, removedApis: 0, network: 0 })

  const junit = await pharosNet(['validate', '--schema-location', schemas, '-o', 'junit'], { cwd: dir })
  t.equal(junit.exitCode, 1)
  const parsed = await execa('python3', ['-c', [
    'import sys, xml.etree.ElementTree as E',
    'root = E.fromstring(sys.stdin.read())',
    'print(root.get("tests"), root.get("failures"), len(root.findall("./testsuite/testcase/failure")))',
  ].join('\n')], { input: junit.stdout })
  t.equal(parsed.stdout, '2 2 2', 'JUnit XML parses, with a failure per invalid resource')
})

t.test('a rendered folder, a file and stdin validate as well', async (t) => {
  const schemas = await testSchemaDir()
  const dir = t.testdir({})
  const out = join(dir, 'out')
  t.equal((await pharosNet(['render', '-c', 'examples/flannel/cluster.yml', '--upgrade-apis', '-o', out])).exitCode, 0)
  const folder = await pharosNet(['validate', out, '--schema-location', schemas])
  t.equal(folder.exitCode, 0, folder.stdout)
  t.match(folder.stdout, /5 resources: 5 valid/)
  const file = await pharosNet(['validate', join(out, '04-config-map.yml'), '--schema-location', schemas])
  t.equal(file.exitCode, 0, file.stdout)
  const stream = await pharosNet(['render', '-c', 'examples/flannel/cluster.yml'])
  const stdin = await pharosNet(['validate', '-', '--schema-location', schemas, '-o', 'json'], { input: stream.stdout })
  t.equal(stdin.exitCode, 1, 'the stream still has the removed APIs')
  t.equal((JSON.parse(stdin.stdout) as JsonReport).summary.removedApis, 3)
})

t.test('missing kubeconform is exit 3 with how to install it', async (t) => {
  const run = await pharosNet(['validate', '-c', 'examples/flannel/cluster.yml', '--upgrade-apis', '--kubeconform', '/nonexistent/kubeconform'])
  t.equal(run.exitCode, 3)
  t.match(run.stderr, /error: \/nonexistent\/kubeconform not found/)
  t.match(run.stderr, /hint: install kubeconform v0\.7\.0 \(`go install github\.com\/yannh\/kubeconform\/cmd\/kubeconform@v0\.7\.0`/)

  const dir = t.testdir({ 'ok.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n', 'bad.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: [1\n' })
  const file = await pharosNet(['validate', 'ok.yml', '--kubeconform', '/nonexistent/kubeconform'], { cwd: dir })
  t.equal(file.exitCode, 3, 'a plain file too')
  t.match(file.stderr, /error: \/nonexistent\/kubeconform not found/)
  const bad = await pharosNet(['validate', 'bad.yml', '--kubeconform', '/nonexistent/kubeconform'], { cwd: dir })
  t.equal(bad.exitCode, 2, 'bad input is reported first')
  t.match(bad.stderr, /bad\.yml:6:1: error: invalid YAML/)
})

t.test('a schema location without a schema for a kind is a finding, not a crash', async (t) => {
  const empty = t.testdir({})
  const run = await pharosNet(['validate', '-c', 'examples/flannel/cluster.yml', '--upgrade-apis', '--schema-location', empty,
    '--kubernetes-version', '1.32'])
  t.equal(run.exitCode, 1)
  t.match(run.stdout, /error: ConfigMap kube-system\/kube-flannel-cfg: no schema for ConfigMap v1 in the schema locations/)
  t.match(run.stdout, /hint: generate schemas with `kubectl pharos-net schemas/)
  t.match(run.stdout, /5 resources: 0 valid, 0 invalid, 5 errors/)
})

t.test('a corpus file given as a file reads the same as through cluster.yml (text read raw vs parsed)', { skip: corpusMissing() }, async (t) => {
  const schemas = await testSchemaDir()
  for (const folder of (await readdir(corpusDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    const { config, manifest } = await corpusCluster(t.testdir({}), folder.name)
    const raw = await pharosNet(['validate', manifest, '--schema-location', schemas, '-o', 'json'])
    const rendered = await pharosNet(['validate', '-c', config, '--schema-location', schemas, '-o', 'json'])
    t.equal(raw.exitCode, rendered.exitCode, `${folder.name}: exit code`)
    // Only -c knows cluster.yml's networks: its report adds the static preflight's fields (empty here).
    const { network, summary: { network: networkCount, ...summary }, ...fromConfig } = JSON.parse(rendered.stdout) as JsonReport & { network: unknown[]; summary: { network: number } }
    t.same([network, networkCount], [[], 0], `${folder.name}: no network finding`)
    t.equal(raw.stdout, `${JSON.stringify({ kubernetesVersion: fromConfig.kubernetesVersion, summary, resources: fromConfig.resources }, null, 2)}`, `${folder.name}: report`)
  }
})

t.test('what the quick read cannot judge goes to the parser: custom resources of the set, YAML errors', async (t) => {
  const schemas = await testSchemaDir()
  const dir = t.testdir({
    'widgets.yml': `${widgetCrd()}---\n${widget('small', '1')}---\n${widget('odd', 'big')}`,
    'dup.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n  a: "2"\n',
    // kubeconform does not report namespaces: it cannot tell these two apart.
    'twins.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: a\n---\n' +
      // (not `n:`: kubectl reads that key as false)
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: b\ndata:\n  num: 1\n',
  })
  const twins = await pharosNet(['validate', 'twins.yml', '--schema-location', schemas], { cwd: dir })
  t.equal(twins.exitCode, 1)
  t.match(twins.stdout, /^twins\.yml:13: error: ConfigMap b\/cfg: data\.num: got number, want string$/m)
  t.match(twins.stdout, /2 resources: 1 valid, 1 invalid/)

  const widgets = await pharosNet(['validate', 'widgets.yml', '--schema-location', schemas, '-o', 'json'], { cwd: dir })
  t.equal(widgets.exitCode, 1, widgets.stderr)
  const report = JSON.parse(widgets.stdout) as JsonReport
  t.same(report.resources.map((r) => [r.kind, r.name, r.status]), [
    ['CustomResourceDefinition', 'widgets.example.com', 'valid'],
    ['Widget', 'small', 'valid'],
    ['Widget', 'odd', 'invalid'],
  ], 'the Widgets are checked against the CRD beside them')
  t.match(report.resources[2]?.errors, [{ path: 'spec.size', line: 36 }])

  const dup = await pharosNet(['validate', 'dup.yml', '--schema-location', schemas], { cwd: dir })
  t.equal(dup.exitCode, 2)
  t.match(dup.stderr, /dup\.yml:7:\d+: .*invalid YAML: Map keys must be unique/)
  t.notMatch(dup.stderr, /    at /, 'no stack trace')
})

t.test('a plain file is checked as kubectl reads it: `yes` is a boolean to kubectl', async (t) => {
  const schemas = await testSchemaDir()
  const dir = t.testdir({ 'cfg.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  enabled: yes\n' })
  const run = await pharosNet(['validate', 'cfg.yml', '--schema-location', schemas], { cwd: dir })
  t.equal(run.exitCode, 1)
  t.match(run.stdout, /^cfg\.yml:6: error: ConfigMap cfg: data\.enabled: got boolean, want string$/m)
})
