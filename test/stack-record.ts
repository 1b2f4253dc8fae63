import t from 'tap'
import { parse } from 'yaml'
import { isStackRecord, recordedKinds, recordManifest, sortedKinds } from '../src/stack-record.js'

t.test('the record as a manifest: YAML, labelled as the record, its kinds sorted once each', async (t) => {
  const text = recordManifest(['Secret', 'DaemonSet.apps', 'ClusterRole.rbac.authorization.k8s.io', 'Secret'])
  t.notMatch(text, /^\s*\{/, 'not JSON: kubectl would read the whole stream as JSON')
  const object = parse(text)
  t.same(object, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'kubectl-pharos-net-stack',
      namespace: 'kube-system',
      labels: { 'pharos.kontena.io/stack': 'custom-network.record' },
      annotations: { 'pharos.kontena.io/contains-group-kinds': 'ClusterRole.rbac.authorization.k8s.io,DaemonSet.apps,Secret' },
    },
  })
  t.ok(isStackRecord(object), 'read back as the record')
  t.same(recordedKinds(object), ['ClusterRole.rbac.authorization.k8s.io', 'DaemonSet.apps', 'Secret'])
  t.same(recordedKinds(parse(recordManifest([]))), [], 'an empty set: a record that names no kinds, and is one')
  t.equal(parse(recordManifest(undefined)).metadata.annotations, undefined, 'kinds unknown: no annotation')
})

t.test('what is read as the record, and the kinds it names', async (t) => {
  const record = parse(recordManifest(['ConfigMap']))
  t.notOk(isStackRecord({ ...record, metadata: { ...record.metadata, labels: { 'pharos.kontena.io/stack': 'custom-network' } } }), 'one of the stack\'s objects')
  t.notOk(isStackRecord({ ...record, metadata: { ...record.metadata, namespace: 'default' } }), 'elsewhere')
  t.notOk(isStackRecord({ ...record, metadata: { ...record.metadata, name: 'other' } }), 'another name')
  t.notOk(isStackRecord({ ...record, kind: 'Secret' }), 'another kind')
  t.equal(recordedKinds({ metadata: {} }), undefined, 'no annotations')
  t.equal(recordedKinds({ metadata: { annotations: { 'pharos.kontena.io/contains-group-kinds': 7 } } }), undefined, 'not text')
  t.same(recordedKinds({ metadata: { annotations: { 'pharos.kontena.io/contains-group-kinds': ' Secret, ,ConfigMap,Secret ' } } }), ['ConfigMap', 'Secret'], 'as a person may have edited it')
  t.same(sortedKinds(['b', 'a', 'b']), ['a', 'b'])
})
