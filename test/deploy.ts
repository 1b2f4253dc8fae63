import t from 'tap'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KubectlTarget } from '../src/cluster.js'
import type { ManifestSource } from '../src/discover.js'
import { checkDocuments } from '../src/documents.js'
import { applyManifests, applyOrder, applyPhases, crdsDefiningKindsOf, diffManifests } from '../src/deploy.js'
import { UsageError } from '../src/errors.js'
import { fakeKubeconform } from './helpers/fake-kubeconform.js'
import { fakeCluster, labelled, recordedCalls } from './helpers/fake-kubectl.js'

const source = (name: string): ManifestSource => ({ path: `/set/${name}`, name, outputName: name, engine: 'plain', text: '' })
/** The set's files in the order discovery gives them: what needs a CRD and a Namespace comes first. */
const documents = checkDocuments([
  { source: source('01-gadget.yml'), text: 'apiVersion: pins.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: pins\n' },
  { source: source('02-cm.yml'), text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: pins\n' },
  {
    source: source('03-crd.yml'),
    text: 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gadgets.pins.example.com\n' +
      'spec:\n  group: pins.example.com\n  names:\n    kind: Gadget\n    plural: gadgets\n',
  },
  { source: source('04-sa.yml'), text: 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n' },
  { source: source('05-ns.yml'), text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pins\n' },
])
const ORDERED = ['CustomResourceDefinition', 'Namespace', 'Gadget', 'ConfigMap', 'ServiceAccount']

t.test('Namespaces and CRDs go first, applied by a call of their own; everything else keeps its order', async (t) => {
  t.same(applyOrder(documents).map((d) => d.object.kind), ORDERED)
  t.same(applyPhases(documents).map((phase) => phase.map((d) => d.object.kind)), [ORDERED.slice(0, 2), ORDERED.slice(2)])
})

/** For diff: keeps the stream it is given, finds no difference and lists `listing` as the stack's objects. */
const diffKubectl = (dir: string, listing: object[]): Promise<KubectlTarget> =>
  fakeCluster(dir, { listing, resources: ['configmaps', 'serviceaccounts'], answers: { diff: `cat > ${join(dir, 'stream.yml')}` } })

t.test('diff: the stream in apply order; the prune scan asks for our stack only, and places a namespace-less object in default', async (t) => {
  const dir = t.testdir({})
  // What the server answers for our selector: the set's objects and one that left it.
  const target = await diffKubectl(dir, [labelled('ServiceAccount', 's', 'default'), labelled('ConfigMap', 'c', 'pins'), labelled('ConfigMap', 'left', 'pins')])
  const result = await diffManifests({ target, documents })
  t.same(result.wouldPrune, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'left', namespace: 'pins' }])
  t.equal(result.changed, true, 'a prune is a difference')

  const stream = await readFile(join(dir, 'stream.yml'), 'utf8')
  t.same([...stream.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]), ORDERED, 'kubectl diff gets the set in apply order')
  const calls = await recordedCalls(dir)
  t.match(calls.filter((c) => / get /.test(` ${c} `)), [
    / -l pharos\.kontena\.io\/stack in \(custom-network,custom-network\.record\) /,
    / -l pharos\.kontena\.io\/stack=custom-network /,
  ], 'the label with our value (or the record\'s), not the key alone')
  t.ok(calls.some((c) => c.startsWith('config view')), 'the set\'s ServiceAccount names no namespace, and has a twin listed in default')
})

/**
 * A cluster for apply: each apply's stream goes to apply-N, `listing` is the stack's objects, `server` its
 * version; `first`, when given, what the prune's first listing answers (the stack's record and objects).
 */
const applyKubectl = (dir: string, listing: object[], server = 'v1.32.13', first?: object[]): Promise<KubectlTarget> =>
  fakeCluster(dir, {
    listing,
    first,
    server,
    client: 'v1.30.4',
    resources: ['configmaps', 'serviceaccounts', 'daemonsets.apps'],
    answers: {
      apply: `n=$(ls ${dir} | grep -c '^apply-'); cat > ${join(dir, 'apply')}-$n; echo applied-$n`,
      wait: 'echo established',
      delete: 'echo "configmap \\"left\\" deleted"',
      rollout: 'echo "daemon set \\"net\\" successfully rolled out"',
    },
  })

const daemonSet = checkDocuments([{
  source: source('06-ds.yml'),
  text: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: net\n  namespace: pins\nspec:\n  selector:\n    matchLabels:\n      app: net\n  template:\n    metadata:\n      labels:\n        app: net\n    spec:\n      containers:\n      - name: c\n        image: busybox\n',
}])
const stackCalls = async (dir: string) => (await recordedCalls(dir)).map((c) => c.replace(/^--request-timeout=\d+s /, ''))

const APPLY = 'apply --server-side --field-manager=kubectl-pharos-net --force-conflicts --dry-run=none -f -'
const kindsIn = async (dir: string, n: number) => [...(await readFile(join(dir, `apply-${n}`), 'utf8')).matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])
/** The stack's record as the n-th apply call sent it: its first document. */
const recordIn = async (dir: string, n: number) => (await readFile(join(dir, `apply-${n}`), 'utf8')).split('---\n')[0]
const SET_KINDS = 'ConfigMap,CustomResourceDefinition.apiextensions.k8s.io,DaemonSet.apps,Gadget.pins.example.com,Namespace,ServiceAccount'

t.test('apply: validated, the stack scanned, then the record, Namespaces and CRDs, their CRDs established, the rest, the prune, the rollouts', async (t) => {
  const dir = t.testdir({ schemas: {} })
  const target = await applyKubectl(dir, [labelled('ConfigMap', 'c', 'pins'), labelled('ConfigMap', 'left', 'pins')])
  const kubeconform = await fakeKubeconform(dir, 'statusValid')
  const result = await applyManifests({
    target, documents: [...documents, ...daemonSet], schemaLocations: [join(dir, 'schemas')], kubeconform, cacheDir: join(dir, 'cache'),
    dryRun: 'none', prune: true, allowEmpty: false, waitSeconds: 60,
  })
  t.equal(result.applied, true)
  t.equal(result.serverVersion, 'v1.32.13')
  t.same(result.warnings, ['kubectl v1.30.4 is 2 minor versions away from the server (v1.32.13); kubectl supports one minor version of skew'])
  t.same(result.pruned, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'left', namespace: 'pins' }])
  t.equal(result.output, 'applied-0\napplied-1\nconfigmap "left" deleted\n')
  t.same(result.rollouts.map((r) => [r.ref.name, r.ready]), [['net', true]])
  t.same(result.validation?.summary, { ...result.validation?.summary, invalid: 0, errors: 0, removedApis: 0 })

  t.same(await kindsIn(dir, 0), ['ConfigMap', 'CustomResourceDefinition', 'Namespace'], 'the record first, before any object of a new kind')
  t.match(await recordIn(dir, 0), `name: kubectl-pharos-net-stack\n  namespace: kube-system\n  labels:\n    pharos.kontena.io/stack: custom-network.record\n` +
    `  annotations:\n    pharos.kontena.io/contains-group-kinds: "${SET_KINDS}"\n`)
  t.same(await kindsIn(dir, 1), ['Gadget', 'ConfigMap', 'ServiceAccount', 'DaemonSet'])
  const calls = await stackCalls(dir)
  t.equal(calls[0], 'version -o json')
  // The scan runs while kubeconform validates: in whatever order they come, before anything is applied.
  const reads = calls.slice(1, 5)
  t.match(reads.filter((c) => c.startsWith('-output')), [/^-output json -summary -verbose -strict -kubernetes-version 1\.32\.13 -schema-location .*\/schemas /])
  t.same(reads.filter((c) => !c.startsWith('-output')), [
    `get ${SET_KINDS} --all-namespaces -l pharos.kontena.io/stack in (custom-network,custom-network.record) -o json`,
    // No record in this cluster: everything is listed, once.
    'api-resources --verbs=list,delete -o name',
    'get configmaps,serviceaccounts,daemonsets.apps --all-namespaces -l pharos.kontena.io/stack=custom-network -o json',
  ])
  t.match(calls.slice(5), [
    APPLY,
    /^wait --for=condition=Established --timeout=\d+s customresourcedefinitions\.apiextensions\.k8s\.io\/gadgets\.pins\.example\.com$/,
    APPLY,
    'delete ConfigMap left -n pins --ignore-not-found --wait=false --dry-run=none',
    'rollout status daemonset/net -n pins --timeout=60s',
  ])
  t.equal(calls.length, 10, 'no config view: no listed object needs the default namespace; no second record: no kind left the set')
})

t.test('a set without custom resources of its CRDs is applied by one call, and waits for nothing', async (t) => {
  const root = t.testdir({ whole: { schemas: {} }, namespaced: {} })
  const dir = join(root, 'whole')
  const plain = documents.filter((d) => d.object.kind !== 'Gadget')
  const options = { documents: plain, schemaLocations: [join(dir, 'schemas')], kubeconform: await fakeKubeconform(dir, 'statusValid'), cacheDir: join(dir, 'cache'), dryRun: 'none', prune: false, allowEmpty: false } as const
  await applyManifests({ ...options, target: await applyKubectl(dir, []) })
  t.same(await kindsIn(dir, 0), ['ConfigMap', 'CustomResourceDefinition', 'Namespace', 'ConfigMap', 'ServiceAccount'], 'the record, Namespaces and CRDs first, in the one stream')
  t.same((await stackCalls(dir)).filter((c) => !c.startsWith('-output')), ['version -o json', APPLY])

  const namespaced = join(root, 'namespaced')
  await applyManifests({ ...options, target: { ...(await applyKubectl(namespaced, [])), namespace: 'helm-ns' } })
  t.same(await kindsIn(namespaced, 0), ['ConfigMap', 'CustomResourceDefinition', 'Namespace', 'ConfigMap'], 'with those that name a namespace, without -n')
  t.same(await kindsIn(namespaced, 1), ['ServiceAccount'])
  t.same((await stackCalls(namespaced)).filter((c) => c.startsWith('apply ')), [APPLY, APPLY.replace(' -f -', ' -n helm-ns -f -')])
})

t.test('the record: kinds that left the set stay in it until they are pruned; --no-prune and a partial scan leave it without kinds', async (t) => {
  const root = t.testdir({ schemas: {}, left: {}, dry: {}, kept: {}, partial: {} })
  const dir = join(root, 'left')
  const record = (kinds: string) => ({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'kubectl-pharos-net-stack', namespace: 'kube-system', labels: { 'pharos.kontena.io/stack': 'custom-network.record' }, annotations: { 'pharos.kontena.io/contains-group-kinds': kinds } },
  })
  const secret = { ...labelled('Secret', 'old', 'pins') }
  const target = await applyKubectl(dir, [secret], 'v1.32.13', [record('DaemonSet.apps,Secret')])
  const options = { documents: daemonSet, schemaLocations: [join(root, 'schemas')], kubeconform: await fakeKubeconform(root, 'statusValid'), cacheDir: join(root, 'cache'), allowEmpty: false } as const
  const result = await applyManifests({ ...options, target, dryRun: 'none', prune: true })
  t.same(result.pruned.map((r) => r.name), ['old'])
  t.same(await stackCalls(dir), [
    'version -o json',
    'get ConfigMap,DaemonSet.apps --all-namespaces -l pharos.kontena.io/stack in (custom-network,custom-network.record) -o json',
    'get Secret --all-namespaces -l pharos.kontena.io/stack=custom-network -o json',
    APPLY,
    'delete Secret old -n pins --ignore-not-found --wait=false --dry-run=none',
    APPLY,
  ], 'the recorded kind that left the set listed by itself, no discovery; the record written again after the prune')
  t.match(await recordIn(dir, 0), 'pharos.kontena.io/contains-group-kinds: "DaemonSet.apps,Secret"\n', 'before: Secret, still to prune')
  t.equal(await readFile(join(dir, 'apply-1'), 'utf8'), await recordIn(dir, 1), 'after: the record alone')
  t.match(await recordIn(dir, 1), 'pharos.kontena.io/contains-group-kinds: "DaemonSet.apps"\n')

  const dry = join(root, 'dry')
  await applyManifests({ ...options, target: await applyKubectl(dry, [secret], 'v1.32.13', [record('DaemonSet.apps,Secret')]), dryRun: 'server', prune: true })
  t.equal((await stackCalls(dry)).filter((c) => c.startsWith('apply ')).length, 1, 'a dry run does not write the record again')

  const kept = join(root, 'kept')
  await applyManifests({ ...options, target: await applyKubectl(kept, [secret]), dryRun: 'none', prune: false })
  t.notOk((await stackCalls(kept)).some((c) => c.startsWith('get ')), '--no-prune lists nothing')
  t.notMatch(await recordIn(kept, 0), 'annotations', '--no-prune: the record names no kinds, so the next prune lists everything')

  const partial = join(root, 'partial')
  const forbidden = await applyKubectl(partial, [secret], 'v1.32.13', [])
  await writeFile(join(partial, 'kubectl'), (await readFile(join(partial, 'kubectl'), 'utf8'))
    .replace(/(\*" get "\*\) cat [^;\n]*)/, '$1; echo "Error from server (Forbidden): secrets is forbidden" >&2; exit 1'))
  const scanned = await applyManifests({ ...options, target: forbidden, dryRun: 'none', prune: true })
  t.match(scanned.warnings.at(-1), /some objects could not be listed: Error from server \(Forbidden\)/)
  t.notMatch(await recordIn(partial, 0), 'annotations', 'no record and a partial listing: the kinds are not known')
  t.equal((await stackCalls(partial)).filter((c) => c.startsWith('apply ')).length, 1, 'and not written after the prune either')
})

t.test('a target namespace (Helm’s -n, or --namespace) goes with the objects that name none, by a call of their own', async (t) => {
  const dir = t.testdir({ schemas: {} })
  const nameless = checkDocuments([{
    source: source('07-ds.yml'),
    text: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: bare\nspec:\n  selector:\n    matchLabels:\n      app: bare\n  template:\n    metadata:\n      labels:\n        app: bare\n    spec:\n      containers:\n      - name: c\n        image: busybox\n',
  }])
  // The set's ServiceAccount s names no namespace: in helm-ns it is the set's, in default it left the set.
  const listing = [labelled('ServiceAccount', 's', 'helm-ns'), labelled('ServiceAccount', 's', 'default')]
  const target = { ...(await applyKubectl(dir, listing)), namespace: 'helm-ns' }
  const result = await applyManifests({
    target, documents: [...documents, ...nameless], schemaLocations: [join(dir, 'schemas')], kubeconform: await fakeKubeconform(dir, 'statusValid'),
    cacheDir: join(dir, 'cache'), dryRun: 'none', prune: true, allowEmpty: false, waitSeconds: 60,
  })
  t.same(result.pruned, [{ apiVersion: 'v1', kind: 'ServiceAccount', name: 's', namespace: 'default' }], 'prune places the nameless in helm-ns')
  t.same(await kindsIn(dir, 0), ['ConfigMap', 'CustomResourceDefinition', 'Namespace'], 'the record, and what is cluster-scoped: never under -n')
  t.same(await kindsIn(dir, 1), ['Gadget', 'ConfigMap'], 'those naming pins: no -n, which kubectl would refuse them under')
  t.same(await kindsIn(dir, 2), ['ServiceAccount', 'DaemonSet'])
  const calls = await stackCalls(dir)
  t.same(calls.filter((c) => c.startsWith('apply ')), [APPLY, APPLY, APPLY.replace(' -f -', ' -n helm-ns -f -')])
  t.notOk(calls.some((c) => c.startsWith('config view')), 'the namespace is known: the context is not asked')
  t.ok(calls.includes('delete ServiceAccount s -n default --ignore-not-found --wait=false --dry-run=none'))
  t.equal(calls.at(-1), 'rollout status daemonset/bare -n helm-ns --timeout=60s')
})

t.test('diff with a target namespace: one kubectl diff per part, the differences of both', async (t) => {
  const dir = t.testdir({})
  const target = await fakeCluster(dir, {
    resources: ['configmaps'],
    answers: { diff: `case " $* " in *" -n helm-ns "*) echo "+ nameless"; exit 1 ;; *) echo "same" ;; esac` },
  })
  const result = await diffManifests({ target: { ...target, namespace: 'helm-ns' }, documents })
  t.equal(result.diff, 'same\n+ nameless\n')
  t.equal(result.changed, true, 'a difference in either part')
  const diffs = (await stackCalls(dir)).filter((c) => c.startsWith('diff '))
  t.same(diffs, [
    'diff --server-side --field-manager=kubectl-pharos-net --force-conflicts -f -',
    'diff --server-side --field-manager=kubectl-pharos-net --force-conflicts -n helm-ns -f -',
  ])
})

t.test('apply as a server-side dry run: nothing waits, the prune is a dry run too', async (t) => {
  const dir = t.testdir({ schemas: {} })
  const target = await applyKubectl(dir, [labelled('ConfigMap', 'left', 'pins')])
  const result = await applyManifests({
    target, documents: daemonSet, schemaLocations: [join(dir, 'schemas')], kubeconform: await fakeKubeconform(dir, 'statusValid'),
    cacheDir: join(dir, 'cache'), dryRun: 'server', prune: true, allowEmpty: false, waitSeconds: 60,
  })
  t.same(result.rollouts, [])
  const calls = await stackCalls(dir)
  t.notOk(calls.some((c) => /^(wait|rollout) /.test(c)), 'no wait for CRDs or rollouts')
  t.ok(calls.includes('delete ConfigMap left -n pins --ignore-not-found --wait=false --dry-run=server'))
  t.equal(calls.filter((c) => c.startsWith('apply ')).length, 1, 'no call for an empty first phase')
})

t.test('apply: with findings nothing is applied; without prune nothing is listed; the wait stays within the deadline', async (t) => {
  const dir = t.testdir({ schemas: {}, invalid: {}, valid: {} })
  const target = await applyKubectl(dir, [])
  const options = { target, documents: daemonSet, schemaLocations: [join(dir, 'schemas')], cacheDir: join(dir, 'cache'), allowEmpty: false } as const
  const invalid = await applyManifests({ ...options, kubeconform: await fakeKubeconform(join(dir, 'invalid'), 'statusInvalid'), dryRun: 'none', prune: true })
  t.equal(invalid.applied, false)
  t.equal(invalid.validation?.summary.invalid, 1)
  const read = await stackCalls(dir)
  t.equal(read[0], 'version -o json')
  t.ok(read.slice(1).every((c) => /^(get|api-resources) /.test(c)), `the cluster was only read (the prune scan, beside the validation): ${read.join('; ')}`)

  const kubeconform = await fakeKubeconform(join(dir, 'valid'), 'statusValid')
  const deadline = { at: Date.now() + 20_000, flag: '--timeout', value: '20s' }
  await applyManifests({ ...options, target: { ...target, deadline }, kubeconform, dryRun: 'none', prune: false, waitSeconds: 300 })
  const calls = (await stackCalls(dir)).slice(read.length)
  t.notOk(calls.some((c) => /^(config|api-resources|get|delete) /.test(c)), 'no prune scan')
  t.match(calls.at(-1), /^rollout status daemonset\/net -n pins --timeout=(18|19)s$/, 'the time left, not --wait')
})

t.test('an empty set is refused when it would prune everything, unless asked for', async (t) => {
  const dir = t.testdir({ schemas: {} })
  const options = {
    target: await applyKubectl(dir, [labelled('ConfigMap', 'left', 'pins')]), documents: [], schemaLocations: [join(dir, 'schemas')],
    kubeconform: await fakeKubeconform(dir, 'statusValid'), cacheDir: join(dir, 'cache'), dryRun: 'none',
  } as const
  await t.rejects(applyManifests({ ...options, prune: true, allowEmpty: false }), {
    constructor: UsageError,
    message: 'the rendered set is empty: pruning would delete every object of the stack',
    hint: /--allow-empty to prune everything on purpose, or --no-prune/,
  })
  t.same((await applyManifests({ ...options, prune: true, allowEmpty: true })).pruned.map((r) => r.name), ['left'])
  t.same((await applyManifests({ ...options, prune: false, allowEmpty: false })).pruned, [])
})

t.test("without schema locations, the cluster's own schemas, made once per server version and kept", async (t) => {
  const dir = t.testdir({})
  const cacheDir = join(dir, 'cache')
  const options = { documents: daemonSet, schemaLocations: [], kubeconform: await fakeKubeconform(dir, 'statusValid'), cacheDir, dryRun: 'server', prune: false, allowEmpty: false } as const
  await applyManifests({ ...options, target: await applyKubectl(dir, [], 'v1.32.13-gke.1200') })
  await applyManifests({ ...options, target: await applyKubectl(dir, [], 'v1.32.13-gke.1200') })
  const calls = await stackCalls(dir)
  t.equal(calls.filter((c) => c === 'get --raw /openapi/v2').length, 1, 'fetched once')
  t.match(calls.filter((c) => c.startsWith('-output')), [
    new RegExp(`-kubernetes-version 1\\.32\\.13 -schema-location ${cacheDir}/schemas/v1\\.32\\.13 `),
    new RegExp(`-kubernetes-version 1\\.32\\.13 -schema-location ${cacheDir}/schemas/v1\\.32\\.13 `),
  ])
  t.same(await readdir(join(cacheDir, 'schemas')), ['v1.32.13'], 'no staging folder left behind')
})

t.test('diff: the version skew is a warning; an empty set asks for no diff; no difference and nothing to prune is unchanged', async (t) => {
  const dir = t.testdir({})
  const target = await fakeCluster(dir, { client: 'v1.29.0', answers: { diff: 'exit 0' } })
  const empty = await diffManifests({ target, documents: [] })
  t.same(empty, {
    serverVersion: 'v1.32.13',
    warnings: ['kubectl v1.29.0 is 3 minor versions away from the server (v1.32.13); kubectl supports one minor version of skew'],
    changed: false,
    diff: '',
    wouldPrune: [],
  })
  t.notOk((await recordedCalls(dir)).some((c) => / diff /.test(` ${c} `)), 'kubectl diff is not run on nothing')
  t.equal((await diffManifests({ target, documents: daemonSet })).changed, false)
})

t.test("the server's version as kubeconform takes it: x.y.z with or without v, else master", async (t) => {
  for (const [server, expected] of [['1.32.13', '1.32.13'], ['v1.30.2+k3s1', '1.30.2'], ['v1.32', 'master'], ['build-v1.2.3', 'master']]) {
    const dir = t.testdir({ schemas: {} })
    await applyManifests({
      target: await applyKubectl(dir, [], server), documents: daemonSet, schemaLocations: [join(dir, 'schemas')],
      kubeconform: await fakeKubeconform(dir, 'statusValid'), cacheDir: join(dir, 'cache'), dryRun: 'server', prune: false, allowEmpty: false,
    })
    t.match(await stackCalls(dir), [/./, new RegExp(`-kubernetes-version ${expected.replace(/\./g, '\\.')} `)], server)
  }
})

t.test('the CRDs waited for are those defining a kind of the rest, by group and kind', async (t) => {
  const crd = (name: string, group: string, kind: string) => checkDocuments([{
    source: source(`${name}.yml`),
    text: `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\nspec:\n  group: ${group}\n  names:\n    kind: ${kind}\n`,
  }])
  const first = [...crd('gadgets.pins.example.com', 'pins.example.com', 'Gadget'), ...crd('widgets.pins.example.com', 'pins.example.com', 'Widget')]
  const gadget = documents.filter((d) => d.object.kind === 'Gadget')
  const otherGroup = checkDocuments([{ source: source('w.yml'), text: 'apiVersion: other.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n' }])
  t.same(crdsDefiningKindsOf(first, [...gadget, ...otherGroup]), ['gadgets.pins.example.com'])
  t.same(crdsDefiningKindsOf(first, otherGroup), [], 'a Widget of another group')
  t.same(crdsDefiningKindsOf(applyPhases(documents)[0], []), [])
})

t.test('a prune scan that fails stops the apply before anything is written; a validation that fails, before the scan is waited for', async (t) => {
  const root = t.testdir({ schemas: {}, scan: {}, validation: {} })
  const refused = "echo 'The connection to the server 10.0.0.1:6443 was refused' >&2; exit 1"
  const options = { documents: daemonSet, schemaLocations: [join(root, 'schemas')], cacheDir: join(root, 'cache'), dryRun: 'none', prune: true, allowEmpty: false } as const
  const scan = join(root, 'scan')
  const unlisted = await fakeCluster(scan, { answers: { in: refused } })
  await t.rejects(applyManifests({ ...options, target: unlisted, kubeconform: await fakeKubeconform(scan, 'statusValid') }), { exitCode: 3, message: 'cannot reach the cluster at 10.0.0.1:6443' })
  t.notOk((await stackCalls(scan)).some((c) => /^(apply|delete) /.test(c)), 'nothing applied')

  const validation = join(root, 'validation')
  // The scan's kubectl takes its time; kubeconform is not there at all.
  const slow = await fakeCluster(validation, { answers: { in: `sleep 0.5; echo '{"items": []}' > ${join(validation, 'scanned')}; cat ${join(validation, 'first.json')}` } })
  await t.rejects(applyManifests({ ...options, target: slow, kubeconform: join(validation, 'no-kubeconform') }), { exitCode: 3, message: /no-kubeconform not found/ })
  t.ok(await readFile(join(validation, 'scanned'), 'utf8'), 'the scan had finished when the error came')
})
