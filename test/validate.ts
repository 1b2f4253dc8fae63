/**
 * validate's mapping of kubeconform's results: with a stand-in kubeconform that prints a recorded report,
 * and in-process with the real one (test/e2e/validate.ts runs it through the built CLI).
 */
import t, { type Test } from 'tap'
import { mkdir, mkdtemp, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments, checkDocumentsOf } from '../src/documents.js'
import type { Limits } from '../src/limits.js'
import { findRemovedApis } from '../src/removed-apis.js'
import { hasFindings, resolveKubernetesVersion, validateManifestFiles, validateManifests } from '../src/validate.js'
import { toolsBinDir } from './helpers/paths.js'
import { testSchemaDir, TEST_KUBERNETES_VERSION } from './helpers/schemas.js'
import { widget, widgetCrd } from './helpers/widgets.js'
import { fakeKubeconform, reportingKubeconform, scriptedKubeconform } from './helpers/fake-kubeconform.js'
import { EnvironmentError } from '../src/errors.js'
import { recordedCalls } from './helpers/fake-kubectl.js'

const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  annotations:
    example.com/a~b: x
data:
  key: 1
`

t.test('JSON-pointer paths are unescaped (~1 is /, ~0 is ~) and point at their lines', async (t) => {
  const dir = t.testdir({})
  const kubeconform = await fakeKubeconform(dir, 'statusInvalid', [
    { path: '/metadata/annotations/example.com~1a~0b', msg: 'bad annotation' },
    { path: '/data/key', msg: 'expected string, but got number' },
  ])
  const documents = checkDocuments([{ source: { path: '/s/c.yml', name: 'c.yml', outputName: 'c.yml', engine: 'plain', text }, text }])
  const report = await validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform, tmpDir: dir })
  t.same(report.resources[0]?.errors, [
    { path: 'metadata.annotations.example.com/a~b', message: 'bad annotation', line: 6 },
    { path: 'data.key', message: 'expected string, but got number', line: 8 },
  ])
  t.equal(report.summary.invalid, 1)
})

t.test("a CRD schema that validation cannot use is an error at the CRD's own line", async (t) => {
  const dir = t.testdir({})
  const kubeconform = await fakeKubeconform(dir, 'statusValid')
  const crdText = widgetCrd(['          type: object', '          properties:', '            spec:', "              $ref: 'https://example.com/spec.json'"].join('\n'))
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\n'
  const documents = checkDocuments([
    { source: plain('01-cm.yml', cm), text: cm },
    { source: plain('02-crd.yml', crdText), text: crdText },
  ])
  await t.rejects(validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform, tmpDir: dir }), {
    message: /^CustomResourceDefinition widgets\.example\.com: \$ref is not supported in a CRD schema/,
    file: '/set/02-crd.yml',
    line: 18,
  })
})

t.test('the Kubernetes version: as given, else the one schema folder version, else master', async (t) => {
  const root = t.testdir({
    one: { 'v1.31.4-standalone-strict': {}, 'v1.31.4-standalone': {} },
    major: { 'v10.1.2-standalone-strict': {} },
    two: { 'v1.31.4-standalone-strict': {}, 'v1.32.1-standalone-strict': {} },
  })
  const [one, two] = [join(root, 'one'), join(root, 'two')]
  t.equal(await resolveKubernetesVersion('1.30', [one]), '1.30.0')
  t.equal(await resolveKubernetesVersion(undefined, [one]), '1.31.4')
  t.equal(await resolveKubernetesVersion(undefined, [join(root, 'major')]), '10.1.2', 'any number of digits')
  t.equal(await resolveKubernetesVersion(undefined, [two]), 'master', 'several versions: none is chosen for the user')
  t.equal(await resolveKubernetesVersion(undefined, [one, two]), 'master')
  t.equal(await resolveKubernetesVersion(undefined, []), 'master')
  await mkdir(join(two, 'unrelated'))
  t.equal(await resolveKubernetesVersion(undefined, ['https://example.com/schemas']), 'master', 'a URL is not read')
})

// With the real kubeconform (scripts/install-tools.sh) and schemas of the pinned release, in-process.
const kubeconformBin = join(toolsBinDir, 'kubeconform')
const plain = (name: string, text: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text })
const SET = [
  plain('01-ok.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n'),
  plain('02-bad.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: 1\n'),
  plain('03-old.yml', 'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      containers: [{name: c, image: busybox}]\n---\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\n'),
  plain('04-unknown.yml', 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n'),
]

/** validate.ts with checkDocumentsOf counted: the quick route parses only what it must. */
async function validateWithParseCount(t: Test) {
  const documentsModule = await import('../src/documents.js')
  const parsedSources: string[] = []
  const module = await t.mockImport<typeof import('../src/validate.js')>('../src/validate.js', {
    '../src/documents.js': {
      ...documentsModule,
      checkDocumentsOf: (sources: ManifestSource[], limits?: Limits) => {
        parsedSources.push(...sources.map((s) => s.name))
        return documentsModule.checkDocumentsOf(sources, limits)
      },
    },
  })
  return { ...module, parsedSources }
}

t.test('plain files with the real kubeconform: each status, its message and line, from the quick route', async (t) => {
  const schemas = await testSchemaDir()
  const validate = await validateWithParseCount(t)
  const options = { kubernetesVersion: TEST_KUBERNETES_VERSION, schemaLocations: [schemas], kubeconform: kubeconformBin }
  const report = await validate.validateManifestFiles({ ...options, sources: SET.slice(0, 3) })
  t.same(report.resources.map((r) => [r.file, r.kind, r.name, r.status, r.rendered, r.errors]), [
    ['/set/01-ok.yml', 'ConfigMap', 'a', 'valid', false, []],
    ['/set/01-ok.yml', 'ServiceAccount', 's', 'valid', false, []],
    ['/set/02-bad.yml', 'ConfigMap', 'b', 'invalid', false, [{ path: 'data.k', message: 'got number, want string', line: 6 }]],
    ['/set/03-old.yml', 'DaemonSet', 'd', 'removed-api', false, [{ path: '', message: 'extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1', line: 1 }]],
    ['/set/03-old.yml', 'PodSecurityPolicy', 'p', 'removed-api', false, [{ path: '', message: 'policy/v1beta1 was removed in Kubernetes 1.25, with no replacement', line: 12 }]],
  ])
  t.same(report.resources[3]?.removedApi, { removedIn: '1.16', replacement: 'apps/v1' })
  t.same(report.summary, { resources: 5, valid: 2, invalid: 1, errors: 0, skipped: 0, removedApis: 2 })
  t.equal(hasFindings(report), true)
  t.same(validate.parsedSources, ['02-bad.yml', '03-old.yml'], 'parsed: only the files with an invalid field or a removed API, once each')

  validate.parsedSources.length = 0
  const clean = await validate.validateManifestFiles({ ...options, sources: SET.slice(0, 1) })
  t.same(clean.summary, { resources: 2, valid: 2, invalid: 0, errors: 0, skipped: 0, removedApis: 0 })
  t.equal(hasFindings(clean), false)
  t.same(validate.parsedSources, [], 'a clean set is never parsed')

  const parsedRoute = await validateManifests({ ...options, documents: checkDocumentsOf(SET.slice(0, 3)), removedApis: findRemovedApis(checkDocumentsOf(SET.slice(0, 3)), TEST_KUBERNETES_VERSION) })
  t.same(parsedRoute, report, 'the parsed route gives the same report')
})

t.test('a kind without a schema is an error that says where it looked and what to do', async (t) => {
  const schemas = await testSchemaDir()
  const options = { kubernetesVersion: TEST_KUBERNETES_VERSION, schemaLocations: [schemas], kubeconform: kubeconformBin }
  for (const report of [
    await validateManifestFiles({ ...options, sources: SET.slice(3) }),
    await validateManifests({ ...options, documents: checkDocumentsOf(SET.slice(3)), removedApis: [] }),
  ]) {
    const [gadget] = report.resources
    t.equal(gadget?.status, 'error')
    t.same(gadget?.errors, [{ path: '', message: 'no schema for Gadget example.com/v1 in the schema locations', line: 1 }])
    t.equal(gadget?.hint, `generate schemas with \`kubectl pharos-net schemas --from-openapi FILE -d DIR\` (or --from-cluster), and add --crds for custom resources; looked in: ${schemas}`)
    t.same(report.summary, { resources: 1, valid: 0, invalid: 0, errors: 1, skipped: 0, removedApis: 0 })
    t.equal(hasFindings(report), true)
  }
})

t.test("the set's own CRDs validate its custom resources, with errors at their lines", async (t) => {
  const schemas = await testSchemaDir()
  const sources = [plain('01-crd.yml', widgetCrd()), plain('02-widgets.yml', `${widget('ok', '3')}---\n${widget('bad', 'big')}`)]
  const options = { kubernetesVersion: TEST_KUBERNETES_VERSION, schemaLocations: [schemas], kubeconform: kubeconformBin }
  for (const report of [
    await validateManifestFiles({ ...options, sources }),
    await validateManifests({ ...options, documents: checkDocumentsOf(sources), removedApis: [] }),
  ]) {
    t.same(report.resources.map((r) => [r.kind, r.name, r.status, r.errors.map((e) => [e.path, e.line])]), [
      ['CustomResourceDefinition', 'widgets.example.com', 'valid', []],
      ['Widget', 'ok', 'valid', []],
      ['Widget', 'bad', 'invalid', [['spec.size', 15]]],
    ])
  }
})

t.test('the version from a schema folder: only folders of the x.y.z-standalone form, only absolute locations', async (t) => {
  const root = t.testdir({ one: { 'v1.31.4-standalone-strict': {}, 'old-v1.30.0-standalone': {}, 'v1.30-standalone': {} } })
  t.equal(await resolveKubernetesVersion('v1.30.2', []), '1.30.2', 'a leading v is dropped')
  t.equal(await resolveKubernetesVersion(undefined, [join(root, 'one')]), '1.31.4')
  t.equal(await resolveKubernetesVersion(undefined, [relative(process.cwd(), join(root, 'one'))]), 'master', 'a relative location is not read')
})

t.test('the quick route hands over what it cannot tell apart, and skips empty documents', async (t) => {
  const schemas = await testSchemaDir()
  const validate = await validateWithParseCount(t)
  const options = { kubernetesVersion: TEST_KUBERNETES_VERSION, schemaLocations: [schemas], kubeconform: kubeconformBin }
  const empties = plain('01-empty.yml', '---\n# nothing\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n')
  const quick = await validate.validateManifestFiles({ ...options, sources: [empties] })
  t.same(quick.resources.map((r) => [r.name, r.status, r.line]), [['a', 'valid', 4]])
  t.same(validate.parsedSources, [], 'empty documents do not stop the quick route')

  // kubeconform's results carry no namespace: the same name in two namespaces, one of them invalid.
  const twins = plain('02-twins.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: one\ndata:\n  k: v\n---\n' +
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: two\ndata:\n  k: 2\n')
  const report = await validate.validateManifestFiles({ ...options, sources: [twins] })
  t.same(report.resources.map((r) => [r.namespace, r.status, r.errors.map((e) => e.line)]), [['one', 'valid', []], ['two', 'invalid', [15]]])
  t.same(validate.parsedSources, ['02-twins.yml'], 'parsed to tell them apart')
})

/** A result as kubeconform v0.7.0 prints it, for the stand-in's report. */
const result = (file: string, kind: string, name: string, status: string, msg = '', validationErrors?: Array<{ path: string; msg: string }>) =>
  ({ filename: `FILE:${file}`, kind, name, version: 'v1', status, msg, ...(validationErrors ? { validationErrors } : {}) })

t.test('the quick route answers only when every result is certain; otherwise the parsed route does', async (t) => {
  const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`
  const two = plain('01-two.yml', `${cm('a')}---\n${cm('b', 'data:\n  k: 1\n')}`)
  const twins = plain('02-twins.yml', `${cm('c', '  namespace: one\n')}---\n${cm('c', '  namespace: two\n')}`)
  const crd = plain('03-crd.yml', widgetCrd())
  const run = async (sources: ManifestSource[], report: unknown) => {
    const dir = t.testdir({})
    const validate = await validateWithParseCount(t)
    const kubeconform = await reportingKubeconform(dir, report)
    const outcome = await validate.validateManifestFiles({ sources, kubernetesVersion: '1.32.0', schemaLocations: [dir], kubeconform, tmpDir: dir })
    return { outcome, parsed: validate.parsedSources, runs: (await recordedCalls(dir)).length }
  }
  const valid = (file: string, name: string) => result(file, 'ConfigMap', name, 'statusValid')

  const quick = await run([two], { resources: [valid('00000.yaml', 'a'), valid('00000.yaml', 'b'), { filename: 'FILE:00000.yaml', kind: '', name: '', version: '', status: 'statusEmpty', msg: '' },
    { filename: 'FILE:00000.yaml', kind: '', name: '', version: '', status: '', msg: '' }] })
  t.same([quick.runs, quick.parsed], [1, []], 'empty documents in the report are passed over')

  const invalidSecond = await run([two], { resources: [valid('00000.yaml', 'a'),
    result('00000.yaml', 'ConfigMap', 'b', 'statusInvalid', 'invalid', [{ path: '/data/k', msg: 'got number, want string' }])] })
  t.same([invalidSecond.runs, invalidSecond.parsed], [1, ['01-two.yml']], 'an invalid field: its file is parsed for lines, once')
  t.same(invalidSecond.outcome.resources.map((r) => [r.name, r.status, r.errors.map((e) => e.line)]), [['a', 'valid', []], ['b', 'invalid', [11]]],
    'the line is in the document that has the field')

  const handOver: Array<[why: string, sources: ManifestSource[], report: unknown]> = [
    ['kubeconform names an object the scan did not see', [two], { resources: [valid('00000.yaml', 'a'), valid('00000.yaml', 'b'), valid('00000.yaml', 'zzz')] }],
    ['fewer results than documents of one identity', [twins], { resources: [valid('00000.yaml', 'c')] }],
    ['twins with different messages', [twins], { resources: [result('00000.yaml', 'ConfigMap', 'c', 'statusError', 'one'), result('00000.yaml', 'ConfigMap', 'c', 'statusError', 'two')] }],
    ['twins with different field errors', [twins], { resources: [
      result('00000.yaml', 'ConfigMap', 'c', 'statusInvalid', 'x', [{ path: '/a', msg: 'm' }]),
      result('00000.yaml', 'ConfigMap', 'c', 'statusInvalid', 'x', [{ path: '/b', msg: 'm' }])] }],
    ['a status kubeconform does not document', [two], { resources: [valid('00000.yaml', 'a'), result('00000.yaml', 'ConfigMap', 'b', 'statusOdd')] }],
    ['an error that is not a missing schema', [two], { resources: [valid('00000.yaml', 'a'), result('00000.yaml', 'ConfigMap', 'b', 'statusError', 'error unmarshalling resource')] }],
    ['a missing schema while the set has CRDs', [two, crd], { resources: [valid('00000.yaml', 'a'), result('00000.yaml', 'ConfigMap', 'b', 'statusError', 'could not find schema for ConfigMap'),
      { ...result('00001.yaml', 'CustomResourceDefinition', 'widgets.example.com', 'statusValid'), version: 'apiextensions.k8s.io/v1' }] }],
  ]
  for (const [why, sources, report] of handOver) {
    const handed = await run(sources, report)
    t.same([handed.runs, handed.parsed], [2, sources.map((s) => s.name)], why)
  }

  const missing = await run([two], { resources: [valid('00000.yaml', 'a'), result('00000.yaml', 'ConfigMap', 'b', 'statusError', 'could not find schema for ConfigMap')] })
  t.same([missing.runs, missing.parsed], [1, []], 'a missing schema without CRDs in the set is certain')
  t.same(missing.outcome.resources[1]?.errors, [{ path: '', message: 'no schema for ConfigMap v1 in the schema locations', line: 6 }])
})

t.test('validateManifests: one kubeconform run on a work folder it removes, CRD schemas only for a set with CRDs', async (t) => {
  const dir = t.testdir({})
  const kubeconform = await fakeKubeconform(dir, 'statusValid')
  const cm = plain('01-cm.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n')
  const crd = plain('02-crd.yml', widgetCrd())
  const options = { removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform, tmpDir: dir }
  const progress: unknown[] = []
  await validateManifests({ ...options, documents: checkDocumentsOf([cm, plain('03-cm.yml', cm.text.replace('name: c', 'name: d'))]), onProgress: (p) => progress.push(p) })
  t.same(progress, [{ objects: 2, files: 2, done: false }, { objects: 2, files: 2, done: true }], 'progress counts objects and files')
  await validateManifests({ ...options, documents: checkDocumentsOf([cm, crd]) })
  const calls = await recordedCalls(dir)
  t.equal(calls.length, 2)
  t.notMatch(calls[0], /crd-schemas/, 'no CRDs, no CRD schema location')
  t.match(calls[1], new RegExp(`-schema-location ${dir}/pharos-net-validate-\\w+/crd-schemas `), "the set's CRDs become a schema location")
  t.match(calls[0], new RegExp(`${dir}/pharos-net-validate-\\w+/resources$`), 'kubeconform reads a work folder under tmpDir')
  t.same((await readdir(dir)).sort(), ['calls', 'kubeconform.cjs'], 'which is gone afterwards')

  const removedOnly = checkDocumentsOf([plain('04-psp.yml', 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\n')])
  const report = await validateManifests({ ...options, documents: removedOnly, removedApis: findRemovedApis(removedOnly, '1.32.0') })
  t.equal(report.summary.removedApis, 1)
  t.equal((await recordedCalls(dir)).length, 2, 'a set of removed APIs only does not run kubeconform')
})

t.test('a document kubeconform says nothing about is an environment error, not a pass', async (t) => {
  const dir = t.testdir({})
  const kubeconform = await reportingKubeconform(dir, { resources: [{ filename: 'FILE:00000.json', kind: '', name: '', version: '', status: 'statusEmpty', msg: '' }] })
  const documents = checkDocumentsOf([plain('01-cm.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n')])
  await t.rejects(validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform, tmpDir: dir }), {
    constructor: EnvironmentError,
    message: 'kubeconform reported nothing for ConfigMap c (01-cm.yml:1)',
    hint: 'this is unexpected; rerun with --debug and report it with the kubeconform version',
  })
})

t.test("kubeconform's report is checked before it is believed", async (t) => {
  const documents = checkDocumentsOf([plain('01-cm.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n')])
  const validateWith = async (script: string, schemaLocations: string[] = []) => {
    const dir = t.testdir({})
    const kubeconform = await scriptedKubeconform(dir, script)
    return validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations, kubeconform, tmpDir: dir })
  }
  const reporting = (json: string, exitCode = 0) => `cat <<'EOF'\n${json}\nEOF\necho 'some words' >&2\nexit ${exitCode}`
  await t.rejects(validateWith(reporting('not json')), {
    constructor: EnvironmentError, message: /kubeconform failed \(exit code 0\): some words$/,
    hint: 'kubeconform did not print its JSON report; run it by hand to see why',
  })
  await t.rejects(validateWith(reporting('{"resources": []}', 2)), { constructor: EnvironmentError, message: /failed \(exit code 2\): some words$/, hint: undefined },
    'exit code 2 is a crash, whatever was printed')
  const notReports = ['[]', 'null', '5', '{"resources": 5}', '{"resources": [null]}', '{"resources": [5]}',
    '{"resources": [{"status": "statusValid"}]}', '{"resources": [{"filename": "f"}]}', '{"resources": [{"filename": "f", "status": "statusValid", "msg": 5}]}',
    '{"resources": [{"filename": "f", "status": "statusValid"}, {"filename": 1, "status": "statusValid"}]}']
  for (const json of notReports) {
    await t.rejects(validateWith(reporting(json, 1)), {
      constructor: EnvironmentError, hint: 'kubeconform printed JSON that is not its report; check `kubeconform -v` (v0.7.0 is supported)',
    }, json)
  }
  await t.rejects(validateWith(reporting('{}')), { message: /^kubeconform reported nothing for ConfigMap c/ }, 'no resources at all')
  const dir = t.testdir({})
  const silentMsg = await reportingKubeconform(dir, { resources: [{ filename: 'FILE:00000.json', kind: 'ConfigMap', name: 'c', version: 'v1', status: 'statusValid' }] })
  const report = await validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations: [], kubeconform: silentMsg, tmpDir: dir })
  t.equal(report.resources[0]?.status, 'valid', 'msg may be left out')

  const unreachable = (reason: string) => reporting(`{"resources": [{"filename": "f", "kind": "ConfigMap", "name": "c", "version": "v1", "status": "statusError", ` +
    `"msg": "failed downloading schema at https://schemas.example.com/v1.32.0/configmap.json: Get \\"...\\": dial tcp: ${reason}"}]}`, 1)
  for (const reason of ['connection refused', 'lookup schemas.example.com: no such host', 'i/o timeout', 'network is unreachable', 'tls: TLS handshake timeout']) {
    await t.rejects(validateWith(unreachable(reason)), {
      constructor: EnvironmentError, message: /^cannot reach the schema location https:\/\/schemas\.example\.com: /,
      hint: 'check the URL and the network; offline, generate schemas with `kubectl pharos-net schemas` and pass --schema-location DIR',
    }, reason)
  }
})

t.test('a missing schema says where to get one; other errors keep kubeconform’s words', async (t) => {
  const dir = t.testdir({})
  const documents = checkDocumentsOf([plain('01-cm.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n')])
  const validateWith = async (msg: string, schemaLocations: string[]) => {
    const kubeconform = await reportingKubeconform(await mkdtemp(join(dir, 'k-')), { resources: [result('00000.json', 'ConfigMap', 'c', 'statusError', msg)] })
    return (await validateManifests({ documents, removedApis: [], kubernetesVersion: '1.32.0', schemaLocations, kubeconform, tmpDir: dir })).resources[0]
  }
  t.has(await validateWith('could not find schema for ConfigMap', []), {
    status: 'error',
    errors: [{ path: '', message: 'no schema for ConfigMap v1 in the schema locations', line: 1 }],
    hint: 'pass --schema-location DIR with schemas from `kubectl pharos-net schemas` (the default location is online)',
  })
  const locations = await mkdtemp(join(dir, 'locations-'))
  await Promise.all(['s1', 's2'].map((name) => mkdir(join(locations, name))))
  t.match((await validateWith('could not find schema for ConfigMap', [join(locations, 's1'), join(locations, 's2')]))?.hint,
    new RegExp(`; looked in: ${locations}/s1, ${locations}/s2$`))
  const other = await validateWith('error while parsing: boom', [])
  t.same([other?.status, other?.errors, other?.hint], ['error', [{ path: '', message: 'error while parsing: boom', line: 1 }], undefined])
})
