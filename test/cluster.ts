import t from 'tap'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { defaultNamespace, findPruneCandidates, prunableResources, selectPruneCandidates, type KubectlTarget, type ObjectRef } from '../src/cluster.js'
import { fakeKubectl } from './helpers/fake-kubectl.js'

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

/** Discovery (with `discoveryError` on stderr and exit 1, if given) and `get` answering `listing`. */
async function clusterKubectl(dir: string, listing: object, discoveryError?: string): Promise<KubectlTarget> {
  await writeFile(join(dir, 'discovery'), DISCOVERY)
  await writeFile(join(dir, 'listing.json'), JSON.stringify(listing))
  return fakeKubectl(dir, {
    'api-resources': `cat ${join(dir, 'discovery')}${discoveryError ? `; echo '${discoveryError}' >&2; exit 1` : ''}`,
    get: `cat ${join(dir, 'listing.json')}`,
  })
}

t.test('findPruneCandidates lists the prunable kinds by the label it is given and filters what comes back', async (t) => {
  const dir = t.testdir({})
  const target = await clusterKubectl(dir, {
    items: [item('ConfigMap', 'gone', 'kube-system'), item('ConfigMap', 'kept', 'kube-system'), item('Pod', 'owned', 'kube-system', { ownerReferences: [{ kind: 'ReplicaSet' }] })],
  })
  const set: ObjectRef[] = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'kept', namespace: 'kube-system' }]
  const scan = await findPruneCandidates(target, set, 'pharos.kontena.io/stack=custom-network', 'default')
  t.same(names(scan.candidates), ['ConfigMap kube-system/gone'])
  t.same(scan.warnings, [])
  const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n')
  t.match(calls[0], / api-resources --verbs=list,delete -o name$/)
  t.equal(calls[1]?.replace(/^--request-timeout=\d+s /, ''),
    `get ${prunableResources(DISCOVERY).join(',')} --all-namespaces -l pharos.kontena.io/stack=custom-network -o json`)
})

t.test('a group that fails discovery is a warning; the rest is still pruned', async (t) => {
  // What kubectl prints while an aggregated API (metrics-server, here) that served before is down.
  const stale = 'error: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1'
  const target = await clusterKubectl(t.testdir({}), { items: [item('ConfigMap', 'gone', 'kube-system')] }, stale)
  const scan = await findPruneCandidates(target, [], 'pharos.kontena.io/stack=custom-network', 'default')
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
