import t from 'tap'
import { apiGroupOf, formatObjectName } from '../src/object-name.js'

t.test('apiGroupOf: the group of an apiVersion, empty for the core group', async (t) => {
  t.equal(apiGroupOf('apps/v1'), 'apps')
  t.equal(apiGroupOf('crd.projectcalico.org/v1'), 'crd.projectcalico.org')
  t.equal(apiGroupOf('v1'), '')
})

t.test('formatObjectName: namespaced and cluster-scoped', async (t) => {
  t.equal(formatObjectName({ kind: 'ConfigMap', name: 'a', namespace: 'kube-system' }), 'ConfigMap kube-system/a')
  t.equal(formatObjectName({ kind: 'ClusterRole', name: 'r' }), 'ClusterRole r')
})
