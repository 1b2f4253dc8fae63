import t from 'tap'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  applyStream, clusterVersion, defaultNamespace, deleteObjects, diffStream, fetchClusterOpenApi, findPruneCandidates, kubectlFailure,
  prunableResources, runKubectl, selectPruneCandidates, waitForCrds, waitForRollouts, type KubectlTarget, type ObjectRef,
} from '../src/cluster.js'
import { fakeKubectl, recordedCalls } from './helpers/fake-kubectl.js'

/** A listed object as `kubectl get -o json` prints it; `metadata` adds to the name and namespace. */
const item = (kind: string, name: string, namespace?: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: kind === 'DaemonSet' ? 'apps/v1' : 'v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), labels: { 'pharos.kontena.io/stack': 'custom-network' }, ...metadata },
})
const names = (refs: ObjectRef[]) => refs.map((r) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`)

t.test('an object with an owner is never a prune candidate; its unowned twin is', async (t) => {
  const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'flannel', uid: '0c4f2a9e-1d2b-4e55-9a57-3f1f2d6c7a10' }
  const items = [
    item('ConfigMap', 'owned', 'kube-system', { ownerReferences: [owner] }),
    item('ConfigMap', 'unowned', 'kube-system', { ownerReferences: [] }),
  ]
  t.same(names(selectPruneCandidates(items, [], 'default')), ['ConfigMap kube-system/unowned'])
})

t.test('an object already being deleted is not deleted again', async (t) => {
  const items = [
    item('ConfigMap', 'leaving', 'kube-system', { deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['example.com/hold'] }),
    item('ConfigMap', 'left', 'kube-system'),
  ]
  t.same(names(selectPruneCandidates(items, [], 'default')), ['ConfigMap kube-system/left'])
})

t.test("a set object without a namespace is matched in the context's namespace, and only there", async (t) => {
  const set: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg' }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cr' }]
  const items = [
    item('ConfigMap', 'cfg', 'default'),
    item('ConfigMap', 'cfg', 'net'),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr' } },
  ]
  t.same(names(selectPruneCandidates(items, set, 'default')), ['ConfigMap net/cfg'], 'kubectl put it in default')
  t.same(names(selectPruneCandidates(items, set, 'net')), ['ConfigMap default/cfg'], 'the context names net')
  const placed: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', namespace: 'net' }]
  t.same(names(selectPruneCandidates(items.slice(0, 2), placed, 'default')), ['ConfigMap default/cfg'], 'a written namespace wins')
})

t.test('an object of the set is matched by group, kind and name, not by version', async (t) => {
  const set: ObjectRef[] = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'flannel', namespace: 'kube-system' }]
  const items = [
    { ...item('DaemonSet', 'flannel', 'kube-system'), apiVersion: 'apps/v1beta2' },
    { ...item('DaemonSet', 'flannel', 'kube-system'), apiVersion: 'extensions/v1beta1' },
    item('ConfigMap', 'flannel', 'kube-system'),
  ]
  t.same(
    selectPruneCandidates(items, set, 'default').map((r) => `${r.apiVersion} ${r.kind}`),
    ['extensions/v1beta1 DaemonSet', 'v1 ConfigMap'],
  )
})

// Part of what `kubectl api-resources --verbs=list,delete -o name` printed for the v1.32 test cluster.
const DISCOVERY = [
  'configmaps', 'endpoints', 'events', 'namespaces', 'pods', 'secrets', 'serviceaccounts', 'services',
  'customresourcedefinitions.apiextensions.k8s.io', 'daemonsets.apps', 'replicasets.apps', 'endpointslices.discovery.k8s.io',
  'events.events.k8s.io', 'clusterroles.rbac.authorization.k8s.io', 'componentstatuses', '',
].join('\n')

t.test('Events, Endpoints, EndpointSlices and ComponentStatuses are never listed for a prune', async (t) => {
  t.same(prunableResources(DISCOVERY), [
    'configmaps', 'namespaces', 'pods', 'secrets', 'serviceaccounts', 'services',
    'customresourcedefinitions.apiextensions.k8s.io', 'daemonsets.apps', 'replicasets.apps', 'clusterroles.rbac.authorization.k8s.io',
  ])
})

const LABEL = 'pharos.kontena.io/stack=custom-network'
/** The first listing's selector: the stack's objects and its record. */
const WITH_RECORD = 'pharos.kontena.io/stack in (custom-network,custom-network.record)'
/** The stack's record as the first listing returns it, naming `kinds` (no annotation when undefined). */
const record = (kinds?: string) => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: {
    name: 'kubectl-pharos-net-stack', namespace: 'kube-system', labels: { 'pharos.kontena.io/stack': 'custom-network.record' },
    ...(kinds === undefined ? {} : { annotations: { 'pharos.kontena.io/contains-group-kinds': kinds } }),
  },
})
const noNamespaceNeeded = async (): Promise<string> => {
  throw new Error('the default namespace was asked for')
}

/**
 * A cluster for the prune scan: the first listing (by the selector that reads the record) answers `first`,
 * discovery DISCOVERY (with `discoveryError` on stderr and exit 1, if given), any other listing `listing`.
 */
async function clusterKubectl(dir: string, first: object, listing: object, discoveryError?: string): Promise<KubectlTarget> {
  await writeFile(join(dir, 'discovery'), DISCOVERY)
  await writeFile(join(dir, 'first.json'), JSON.stringify(first))
  await writeFile(join(dir, 'listing.json'), JSON.stringify(listing))
  return fakeKubectl(dir, {
    'api-resources': `cat ${join(dir, 'discovery')}${discoveryError ? `; echo '${discoveryError}' >&2; exit 1` : ''}`,
    // The selector that reads the record is one argument with spaces: its word `in` marks the first listing.
    in: `cat ${join(dir, 'first.json')}`,
    get: `cat ${join(dir, 'listing.json')}`,
  })
}
const withoutTimeout = (calls: string[]) => calls.map((c) => c.replace(/^--request-timeout=\d+s /, ''))

t.test('without a record, the prune lists every prunable resource by our label, and filters what comes back', async (t) => {
  const dir = t.testdir({})
  const target = await clusterKubectl(dir, { items: [] }, {
    items: [item('ConfigMap', 'gone', 'kube-system'), item('ConfigMap', 'kept', 'kube-system'), item('Pod', 'owned', 'kube-system', { ownerReferences: [{ kind: 'ReplicaSet' }] })],
  })
  const set: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'kept', namespace: 'kube-system' }, { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', namespace: 'kube-system' }]
  const scan = await findPruneCandidates(target, { set, defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ConfigMap kube-system/gone'])
  t.same(scan.warnings, [])
  t.equal(scan.recordedKinds, undefined, 'no record: everything was listed')
  t.same(withoutTimeout(await recordedCalls(dir)), [
    `get ConfigMap,DaemonSet.apps --all-namespaces -l ${WITH_RECORD} -o json`,
    'api-resources --verbs=list,delete -o name',
    `get ${prunableResources(DISCOVERY).join(',')} --all-namespaces -l ${LABEL} -o json`,
  ])
})

t.test("with a record, one listing of the set's kinds reads it and finds what left the set; the record is never a candidate", async (t) => {
  const dir = t.testdir({})
  const target = await clusterKubectl(dir, {
    items: [
      record('ConfigMap,DaemonSet.apps'), item('ConfigMap', 'gone', 'kube-system'), item('DaemonSet', 'd', 'kube-system'),
      // Another stack's object, or an older record under our label's key: not ours.
      { ...item('ConfigMap', 'other', 'kube-system'), metadata: { name: 'other', namespace: 'kube-system', labels: { 'pharos.kontena.io/stack': 'custom-network.record' } } },
    ],
  }, { items: [] })
  const set: ObjectRef[] = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', namespace: 'kube-system' }]
  const scan = await findPruneCandidates(target, { set, defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ConfigMap kube-system/gone'])
  t.same(scan.recordedKinds, ['ConfigMap', 'DaemonSet.apps'])
  t.same(withoutTimeout(await recordedCalls(dir)), [`get ConfigMap,DaemonSet.apps --all-namespaces -l ${WITH_RECORD} -o json`], 'one call, no discovery')
})

t.test('kinds the record names that left the set are listed by a second call, those never pruned are not listed at all', async (t) => {
  const dir = t.testdir({})
  const target = await clusterKubectl(dir, { items: [record('ClusterRole.rbac.authorization.k8s.io,DaemonSet.apps,Endpoints,Secret')] }, {
    items: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr', labels: { 'pharos.kontena.io/stack': 'custom-network' } } }],
  })
  const set: ObjectRef[] = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', namespace: 'kube-system' },
    { apiVersion: 'v1', kind: 'Event', name: 'e', namespace: 'kube-system' },
  ]
  const scan = await findPruneCandidates(target, { set, defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ClusterRole cr'])
  t.same(withoutTimeout(await recordedCalls(dir)), [
    `get ConfigMap,DaemonSet.apps --all-namespaces -l ${WITH_RECORD} -o json`,
    `get ClusterRole.rbac.authorization.k8s.io,Secret --all-namespaces -l ${LABEL} -o json`,
  ])
})

t.test('a record without kinds (written by --no-prune), or a kind kubectl does not know, makes the prune list everything', async (t) => {
  const listing = { items: [item('ConfigMap', 'gone', 'kube-system')] }
  const unnamed = t.testdir({})
  const scan = await findPruneCandidates(await clusterKubectl(unnamed, { items: [record()] }, listing), { set: [], defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ConfigMap kube-system/gone'])
  t.match(withoutTimeout(await recordedCalls(unnamed)), [/ -l pharos\.kontena\.io\/stack in /, /^api-resources /, /^get configmaps,/])

  // A set whose custom resource's CRD is not in the cluster yet (diff), or a recorded kind whose CRD was deleted.
  const unknown = t.testdir({})
  await writeFile(join(unknown, 'discovery'), DISCOVERY)
  // With a record: only kubectl's refusal can send the scan to the full listing.
  await writeFile(join(unknown, 'listing.json'), JSON.stringify({ items: [record('ConfigMap'), ...listing.items] }))
  const target = await fakeKubectl(unknown, {
    'api-resources': `cat ${join(unknown, 'discovery')}`,
    'ConfigMap,Gadget.pins.example.com': 'echo "error: the server doesn\'t have a resource type \\"Gadget\\"" >&2; exit 1',
    get: `cat ${join(unknown, 'listing.json')}`,
  })
  const set: ObjectRef[] = [{ apiVersion: 'pins.example.com/v1', kind: 'Gadget', name: 'g', namespace: 'pins' }]
  const fallback = await findPruneCandidates(target, { set, defaultNamespace: noNamespaceNeeded })
  t.same(names(fallback.candidates), ['ConfigMap kube-system/gone'])
  t.equal(fallback.recordedKinds, undefined)
  t.match(withoutTimeout(await recordedCalls(unknown)), [/^get ConfigMap,Gadget\.pins\.example\.com /, /^api-resources /, /^get configmaps,/])
})

t.test('the default namespace is asked for only when a listed object is the namespaced twin of a set object that names none', async (t) => {
  const set: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg' }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'cr' }]
  let asked = 0
  const defaultNamespace = async () => {
    asked++
    return 'net'
  }
  const clusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cr', labels: { 'pharos.kontena.io/stack': 'custom-network' } } }
  const quiet = await clusterKubectl(t.testdir({}), { items: [record('ClusterRole.rbac.authorization.k8s.io,ConfigMap'), clusterRole, item('Secret', 'cfg', 'default'), item('ConfigMap', 'other', 'net')] }, { items: [] })
  t.same(names((await findPruneCandidates(quiet, { set, defaultNamespace })).candidates), ['Secret default/cfg', 'ConfigMap net/other'])
  t.equal(asked, 0, 'no listed object is a twin: a cluster-scoped one, another kind, another name')
  const twin = await clusterKubectl(t.testdir({}), { items: [record('ConfigMap'), item('ConfigMap', 'cfg', 'default'), item('ConfigMap', 'cfg', 'net')] }, { items: [] })
  t.same(names((await findPruneCandidates(twin, { set, defaultNamespace })).candidates), ['ConfigMap default/cfg'])
  t.equal(asked, 1)
})

t.test('a group that fails discovery is a warning; the rest is still pruned', async (t) => {
  // What kubectl prints while an aggregated API (metrics-server, here) that served before is down.
  const stale = 'error: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1'
  const target = await clusterKubectl(t.testdir({}), { items: [] }, { items: [item('ConfigMap', 'gone', 'kube-system')] }, stale)
  const scan = await findPruneCandidates(target, { set: [], defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ConfigMap kube-system/gone'])
  t.same(scan.warnings, [`some API groups could not be listed and are not pruned: ${stale}`])
})

t.test("the namespace for objects without one is the kubeconfig context's, else default", async (t) => {
  for (const [configured, expected] of [['net', 'net'], ['', 'default']]) {
    const dir = t.testdir({})
    await writeFile(join(dir, 'kubectl'), `#!/bin/sh\necho "$@" >> ${join(dir, 'calls')}\nprintf '${configured}'\n`)
    await chmod(join(dir, 'kubectl'), 0o755)
    t.equal(await defaultNamespace({ kubectl: join(dir, 'kubectl'), env: { PATH: process.env.PATH } }), expected)
    t.equal(await readFile(join(dir, 'calls'), 'utf8'), 'config view --minify -o jsonpath={.contexts[0].context.namespace}\n')
  }
})

const result = (exitCode: number, stderr: string, stdout = '') => ({ exitCode, stdout, stderr })
const target: KubectlTarget = { kubectl: 'kubectl', env: {} }

t.test('kubectl failures a user can act on: unreachable, no credentials, forbidden; anything else as kubectl said it', async (t) => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?',
      'cannot reach the cluster at 127.0.0.1:6443', '', /check --kubeconfig\/--context \(or KUBECONFIG\) and that the API server is up/],
    ['Unable to connect to the server: dial tcp: lookup api.example.invalid: no such host',
      'cannot reach the cluster', '', /API server is up/],
    ['error: Get "https://10.0.0.1:6443/api/v1/namespaces?limit=500": dial tcp 10.0.0.1:6443: i/o timeout',
      'cannot reach the cluster at https://10.0.0.1:6443', '', /API server is up/],
    ['E0101 Get "https://k8s.example.com:6443/openapi/v2?timeout=32s": dial tcp 1.2.3.4:6443: connect: connection refused',
      'cannot reach the cluster at https://k8s.example.com:6443', '', /API server is up/],
    ['', 'kubectl asked for a username: the kubeconfig user has no credentials', 'Please enter Username: ', /a token, a client certificate or an exec plugin; nothing here answers prompts/],
    ['Please enter Password: ', 'kubectl asked for a username: the kubeconfig user has no credentials', '', /no credentials|exec plugin/],
    ['Error from server (Forbidden): daemonsets.apps is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "daemonsets" in API group "apps" at the cluster scope',
      'forbidden: user system:serviceaccount:ci:deployer cannot list daemonsets in API group apps', '', /a role that allows it/],
    ['Error from server (Forbidden): configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "kube-system"',
      'forbidden: user bob cannot create configmaps', '', /more permissions/],
    ['error: the server does not allow this method\nline two',
      'kubectl failed (exit code 1): error: the server does not allow this method\nline two', '', /^$/],
  ]
  for (const [stderr, message, stdout, hint] of cases) {
    const error = kubectlFailure(target, result(1, stderr, stdout))
    t.equal(error.exitCode, 3, message)
    t.equal(error.message, message)
    t.match(error.hint ?? '', hint)
  }
})

/** A kubectl whose every call prints `stdout` and exits `code`; each call's arguments go to `calls`. */
async function answering(dir: string, stdout: string, code = 0, extra: Partial<KubectlTarget> = {}): Promise<KubectlTarget> {
  await writeFile(join(dir, 'out'), stdout)
  await writeFile(join(dir, 'kubectl'), `#!/bin/sh\necho "$@" >> ${join(dir, 'calls')}\ncat > ${join(dir, 'stdin')}\ncat ${join(dir, 'out')}\nexit ${code}\n`)
  await chmod(join(dir, 'kubectl'), 0o755)
  return { kubectl: join(dir, 'kubectl'), env: { PATH: process.env.PATH }, ...extra }
}

t.test('every call names the kubeconfig and context; requests to the server carry a timeout from tool-timeout or the deadline', async (t) => {
  const dir = t.testdir({})
  const kubectl = await answering(dir, '', 0, { kubeconfig: '/k/config', context: 'prod', toolTimeout: 90_500 })
  await runKubectl(kubectl, ['get', 'pods'])
  await runKubectl(kubectl, ['rollout', 'status', 'ds/x'])
  await runKubectl(kubectl, ['config', 'view'])
  await runKubectl({ ...kubectl, kubeconfig: undefined, context: undefined, toolTimeout: 200 }, ['get', 'pods'])
  await runKubectl({ ...kubectl, deadline: { at: Date.now() + 30_000, flag: '--timeout', value: '30s' } }, ['get', 'pods'])
  const calls = await recordedCalls(dir)
  t.same(calls.slice(0, 4), [
    '--kubeconfig /k/config --context prod --request-timeout=91s get pods',
    '--kubeconfig /k/config --context prod rollout status ds/x',
    '--kubeconfig /k/config --context prod config view',
    '--request-timeout=1s get pods',
  ])
  t.match(calls[4], /^--kubeconfig \/k\/config --context prod --request-timeout=(29|30)s get pods$/, 'the deadline when it is nearer')
})

t.test('the server version, and a warning when kubectl is more than one minor version away', async (t) => {
  const version = (client: string, server: string) =>
    JSON.stringify({ clientVersion: { gitVersion: `v1.${client}.2`, minor: client }, serverVersion: { gitVersion: `v1.${server}.13`, minor: server } })
  t.same(await clusterVersion(await answering(t.testdir({}), version('31', '32'))), { server: 'v1.32.13', client: 'v1.31.2', skewWarning: undefined })
  t.same(await clusterVersion(await answering(t.testdir({}), version('33', '32'))), { server: 'v1.32.13', client: 'v1.33.2', skewWarning: undefined })
  t.equal((await clusterVersion(await answering(t.testdir({}), version('34', '32')))).skewWarning,
    'kubectl v1.34.2 is 2 minor versions away from the server (v1.32.13); kubectl supports one minor version of skew')
  t.match((await clusterVersion(await answering(t.testdir({}), version('29', '32')))).skewWarning, /is 3 minor versions away/)
  t.same(await clusterVersion(await answering(t.testdir({}), JSON.stringify({ serverVersion: { gitVersion: 'v1.32.13' } }))), { server: 'v1.32.13', client: undefined, skewWarning: undefined })
  const dir = t.testdir({})
  await t.rejects(clusterVersion(await answering(dir, JSON.stringify({ clientVersion: { gitVersion: 'v1.32.2' } }), 1)), { exitCode: 3 }, 'no server version: kubectl could not reach it')
  t.same(await recordedCalls(dir), ['--request-timeout=600s version -o json'])
  await t.rejects(clusterVersion(await answering(t.testdir({}), version('32', '32'), 1)), { exitCode: 3 }, 'a failed call is a failure whatever it printed')
})

t.test("the cluster's OpenAPI document, or an error that says what came back", async (t) => {
  const dir = t.testdir({})
  t.same(await fetchClusterOpenApi(await answering(dir, '{"swagger":"2.0"}')), { swagger: '2.0' })
  t.same(await recordedCalls(dir), ['--request-timeout=600s get --raw /openapi/v2'])
  await t.rejects(fetchClusterOpenApi(await answering(t.testdir({}), '<html>proxy login</html>')), {
    exitCode: 3,
    message: 'the cluster answered /openapi/v2 with something that is not JSON',
    hint: /point at a Kubernetes API server/,
  })
  await t.rejects(fetchClusterOpenApi(await answering(t.testdir({}), '{}', 1)), { exitCode: 3, message: 'kubectl failed (exit code 1)' })
})

t.test('apply, diff, wait and delete send what kubectl needs', async (t) => {
  const dir = t.testdir({})
  const kubectl = await answering(dir, 'configmap/c serverside-applied\n')
  t.equal(await applyStream(kubectl, 'kind: ConfigMap\n', 'server'), 'configmap/c serverside-applied\n')
  t.equal(await readFile(join(dir, 'stdin'), 'utf8'), 'kind: ConfigMap\n', 'the stream on stdin')
  await waitForCrds(kubectl, [])
  await waitForCrds({ ...kubectl, toolTimeout: 45_000 }, ['gadgets.pins.example.com', 'widgets.pins.example.com'])
  await deleteObjects(kubectl, [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'flannel', namespace: 'kube-system' },
    { apiVersion: 'v1', kind: 'Namespace', name: 'pins' },
  ], 'client')
  t.same(await recordedCalls(dir), [
    '--request-timeout=600s apply --server-side --field-manager=kubectl-pharos-net --force-conflicts --dry-run=server -f -',
    '--request-timeout=45s wait --for=condition=Established --timeout=45s customresourcedefinitions.apiextensions.k8s.io/gadgets.pins.example.com customresourcedefinitions.apiextensions.k8s.io/widgets.pins.example.com',
    '--request-timeout=600s delete DaemonSet.apps flannel -n kube-system --ignore-not-found --wait=false --dry-run=client',
    '--request-timeout=600s delete Namespace pins --ignore-not-found --wait=false --dry-run=client',
  ], 'no wait call for no CRDs')
  t.equal(await deleteObjects(kubectl, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a' }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'b' }], 'none'),
    'configmap/c serverside-applied\n'.repeat(2), "every delete's output")

  const failing = await answering(t.testdir({}), '', 1)
  await t.rejects(applyStream(failing, '', 'none'), { exitCode: 3 })
  await t.rejects(waitForCrds(failing, ['x']), { exitCode: 3 })
  await t.rejects(deleteObjects(failing, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a' }], 'none'), { exitCode: 3 })
})

t.test('diff: exit 0 is the same, 1 is different, anything else is an error', async (t) => {
  const dir = t.testdir({})
  t.same(await diffStream(await answering(dir, ''), 'kind: ConfigMap\n'), { changed: false, diff: '' })
  t.same(await recordedCalls(dir), ['--request-timeout=600s diff --server-side --field-manager=kubectl-pharos-net --force-conflicts -f -'])
  t.same(await diffStream(await answering(t.testdir({}), '+ a\n', 1), ''), { changed: true, diff: '+ a\n' })
  await t.rejects(diffStream(await answering(t.testdir({}), '', 2), ''), { exitCode: 3, message: 'kubectl failed (exit code 2)' })
})

t.test('rollouts: each DaemonSet and Deployment within one deadline; a timeout is a result, other failures are errors', async (t) => {
  const dir = t.testdir({})
  const kubectl = await answering(dir, 'Waiting...\ndaemon set "flannel" successfully rolled out\n')
  const refs: ObjectRef[] = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'flannel', namespace: 'kube-system' },
    { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'kube-system' },
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'coredns' },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 's' },
  ]
  const results = await waitForRollouts(kubectl, refs, 120)
  t.same(results.map((r) => [r.ref.name, r.ready, r.message]), [
    ['flannel', true, 'daemon set "flannel" successfully rolled out'],
    ['coredns', true, 'daemon set "flannel" successfully rolled out'],
  ])
  const calls = await recordedCalls(dir)
  t.match(calls[0], /^rollout status daemonset\/flannel -n kube-system --timeout=(119|120)s$/)
  t.match(calls[1], /^rollout status deployment\/coredns --timeout=(119|120)s$/)
  t.equal(calls.length, 2)

  const timedOut = await waitForRollouts(await stderrKubectl(t.testdir({}), 'error: timed out waiting for the condition', 1), refs.slice(0, 1), 1)
  t.same(timedOut.map((r) => [r.ready, r.message]), [[false, 'error: timed out waiting for the condition']])
  await t.rejects(waitForRollouts(await stderrKubectl(t.testdir({}), 'Error from server (NotFound): daemonsets.apps "flannel" not found', 1), refs.slice(0, 1), 1),
    { exitCode: 3, message: /not found/ })
})

/** A kubectl that prints `stderr` on stderr and exits `code`. */
async function stderrKubectl(dir: string, stderr: string, code: number): Promise<KubectlTarget> {
  await writeFile(join(dir, 'kubectl'), `#!/bin/sh\necho '${stderr}' >&2\nexit ${code}\n`)
  await chmod(join(dir, 'kubectl'), 0o755)
  return { kubectl: join(dir, 'kubectl'), env: { PATH: process.env.PATH } }
}

t.test('the prune scan: what it refuses, what it warns about, what it matches', async (t) => {
  t.same(prunableResources(' configmaps \r\n\n  events\nsecrets'), ['configmaps', 'secrets'], 'lines trimmed, blanks and never-pruned kinds dropped')
  const set: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'ns' }]
  t.same(names(selectPruneCandidates([item('Secret', 'x', 'ns'), item('ConfigMap', 'x', 'ns')], set, 'default')), ['Secret ns/x'], 'another kind of the same name is not the set object')
  const refused = "echo 'The connection to the server 10.0.0.1:6443 was refused' >&2; exit 1"
  const unreachable = await fakeKubectl(t.testdir({}), { 'api-resources': refused, get: refused })
  await t.rejects(findPruneCandidates(unreachable, { set: [], defaultNamespace: noNamespaceNeeded }), { exitCode: 3, message: 'cannot reach the cluster at 10.0.0.1:6443' })
  const undiscovered = await fakeKubectl(t.testdir({}), { 'api-resources': refused, get: "echo '{\"items\": []}'" })
  await t.rejects(findPruneCandidates(undiscovered, { set: [], defaultNamespace: noNamespaceNeeded }), { exitCode: 3, message: 'cannot reach the cluster at 10.0.0.1:6443' }, 'no kinds at all: nothing can be pruned')

  const dir = t.testdir({})
  await writeFile(join(dir, 'listing.json'), JSON.stringify({ items: [item('ConfigMap', 'gone', 'ns')] }))
  const partial = await fakeKubectl(dir, {
    'api-resources': "printf 'configmaps\\n'; printf '\\n  error: metrics.k8s.io/v1beta1 is down\\nmore\\n' >&2; exit 1",
    get: `cat ${join(dir, 'listing.json')}; printf '\\n Error from server: secrets is forbidden\\nmore\\n' >&2; exit 1`,
  })
  const scan = await findPruneCandidates(partial, { set: [], defaultNamespace: noNamespaceNeeded })
  t.same(names(scan.candidates), ['ConfigMap ns/gone'])
  t.same(scan.warnings, [
    'some API groups could not be listed and are not pruned: error: metrics.k8s.io/v1beta1 is down',
    'some objects could not be listed: Error from server: secrets is forbidden',
  ], 'the warnings of the listing that was used, not those of the first one, which found no record')
  const garbled = await fakeKubectl(t.testdir({}), { 'api-resources': 'echo configmaps', get: "echo 'not json'" })
  await t.rejects(findPruneCandidates(garbled, { set: [], defaultNamespace: noNamespaceNeeded }), { exitCode: 3, message: 'kubectl failed (exit code 0)' }, 'a listing that is not JSON')
  const noItems = await fakeKubectl(t.testdir({}), { 'api-resources': 'echo configmaps', get: "echo '{}'" })
  await t.rejects(findPruneCandidates(noItems, { set: [], defaultNamespace: noNamespaceNeeded }), { exitCode: 3 }, 'a listing without items')
  const unknownAfterDiscovery = await fakeKubectl(t.testdir({}), {
    'api-resources': 'echo configmaps', in: "echo '{\"items\": []}'", get: 'echo "error: the server doesn\'t have a resource type \\"configmaps\\"" >&2; exit 1',
  })
  await t.rejects(findPruneCandidates(unknownAfterDiscovery, { set: [], defaultNamespace: noNamespaceNeeded }), { exitCode: 3, message: /does not know a resource type that `kubectl api-resources` listed/ })
})

t.test('the default namespace needs a successful answer with text in it', async (t) => {
  for (const [answer, expected] of [["printf net; exit 1", 'default'], ["printf '  \\n'", 'default'], ["printf ' net\\n'", 'net']]) {
    t.equal(await defaultNamespace(await fakeKubectl(t.testdir({}), { config: answer })), expected, answer)
  }
})

t.test('a kubectl that is not there says how to get one', async (t) => {
  await t.rejects(runKubectl({ kubectl: join(t.testdir({}), 'no-kubectl'), env: {} }, ['version']), {
    exitCode: 3,
    hint: 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or pass --kubectl PATH',
  })
})
