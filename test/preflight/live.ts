import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EnvironmentError } from '../../src/errors.js'
import { acceptForeignCni, hasErrors, LIVE_CHECKS, runLivePreflight } from '../../src/preflight/live.js'
import { fakeKubectl, recordedCalls } from '../helpers/fake-kubectl.js'

/** What each read answers: an object, or a shell snippet for failures. */
interface Cluster {
  nodes?: object[]
  service?: object
  kubeProxy?: object
  managers?: object[]
  daemonSets?: object[]
  /** Shell snippets over the answers above, by the resource word. */
  answers?: Record<string, string>
}

const NOT_FOUND = `echo 'Error from server (NotFound): configmaps "kube-proxy" not found' >&2; exit 1`
const forbidden = (verb: string, resource: string, group?: string) =>
  `echo 'Error from server (Forbidden): ${resource} is forbidden: User "restricted" cannot ${verb} resource "${resource}"` +
  `${group ? ` in API group "${group}"` : ''} at the cluster scope' >&2; exit 1`

async function cluster(dir: string, c: Cluster) {
  const answer = async (file: string, value: unknown) => {
    await writeFile(join(dir, file), JSON.stringify(value))
    return `cat ${join(dir, file)}`
  }
  return fakeKubectl(dir, {
    nodes: await answer('nodes.json', { items: c.nodes ?? [] }),
    service: await answer('service.json', c.service ?? { spec: { clusterIP: '10.96.0.1' } }),
    configmap: c.kubeProxy ? await answer('kube-proxy.json', c.kubeProxy) : NOT_FOUND,
    pods: await answer('pods.json', { items: c.managers ?? [] }),
    daemonsets: await answer('daemonsets.json', { items: c.daemonSets ?? [] }),
    ...c.answers,
  })
}

const NETWORKS = { podNetworkCidr: '10.32.0.0/12', serviceCidr: '10.96.0.0/12' }
const node = (name: string, spec: object) => ({ metadata: { name }, spec })
const daemonSet = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, namespace: 'kube-system', labels } })

t.test('a cluster that agrees with cluster.yml: no findings, every check ran, reads only', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    nodes: [node('a', { podCIDR: '10.32.1.0/24', podCIDRs: ['10.32.1.0/24', 'fd00::/64'] }), node('b', {})],
    kubeProxy: { data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclusterCIDR: 10.32.0.0/12\n' } },
    managers: [{ metadata: { name: 'kube-controller-manager-m1' }, spec: { containers: [{ command: ['kube-controller-manager', '--cluster-cidr=10.32.0.0/12'] }] } }],
    daemonSets: [daemonSet('kube-flannel-ds', { 'pharos.kontena.io/stack': 'custom-network' }), daemonSet('node-exporter')],
  })
  const report = await runLivePreflight({ target, ...NETWORKS })
  t.same(report.findings, [])
  t.same(report.checks, [...LIVE_CHECKS])
  t.notOk(hasErrors(report))
  // The reads run side by side: in whatever order they started.
  const calls = (await recordedCalls(dir)).map((c) => c.replace(/^--request-timeout=\d+s /, '')).sort()
  t.same(calls, [
    'get nodes -o json',
    'get service kubernetes -n default -o json',
    'get configmap kube-proxy -n kube-system -o json',
    'get pods -n kube-system -l component=kube-controller-manager -o json',
    'get daemonsets -n kube-system -o json',
  ].sort())
})

t.test('each mismatch is a finding naming the object and field', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    nodes: [node('worker-1', { podCIDR: '10.244.1.0/24' }), node('worker-2', { podCIDRs: ['10.32.2.0/24', 'fd00::/64'] }), node('big', { podCIDR: '10.0.0.0/8' })],
    service: { spec: { clusterIP: '172.32.0.1' } },
    kubeProxy: { data: { 'config.conf': 'clusterCIDR: 10.244.0.0/16\n' } },
    managers: [{ metadata: { name: 'kube-controller-manager-m1' }, spec: { containers: [{ command: ['kube-controller-manager'], args: ['--cluster-cidr', '10.244.0.0/16,fd00::/48'] }] } }],
    daemonSets: [daemonSet('calico-node'), daemonSet('weave-net', { 'pharos.kontena.io/stack': 'other' })],
  })
  const report = await runLivePreflight({ target, ...NETWORKS })
  t.ok(hasErrors(report))
  t.same(report.findings.map((f) => [f.check, f.severity, f.object, f.field]), [
    ['node-pod-cidr', 'error', 'Node worker-1', 'spec.podCIDR'],
    ['node-pod-cidr', 'error', 'Node big', 'spec.podCIDR'],
    ['service-cidr', 'error', 'Service default/kubernetes', 'spec.clusterIP'],
    ['kube-proxy-cluster-cidr', 'error', 'ConfigMap kube-system/kube-proxy', 'data["config.conf"].clusterCIDR'],
    ['controller-manager-cluster-cidr', 'error', 'Pod kube-system/kube-controller-manager-m1', 'spec.containers[0] --cluster-cidr'],
    ['foreign-cni', 'error', 'DaemonSet kube-system/calico-node', 'metadata.labels["pharos.kontena.io/stack"]'],
    ['foreign-cni', 'error', 'DaemonSet kube-system/weave-net', 'metadata.labels["pharos.kontena.io/stack"]'],
  ])
  t.match(report.findings[0]?.message, '10.244.1.0/24 is outside pod_network_cidr 10.32.0.0/12')
  t.match(report.findings[2]?.message, '172.32.0.1 is outside service_cidr 10.96.0.0/12')
  t.match(report.findings[3]?.message, 'clusterCIDR is 10.244.0.0/16 but pod_network_cidr is 10.32.0.0/12')
  t.match(report.findings[4]?.message, '--cluster-cidr is 10.244.0.0/16,fd00::/48 but pod_network_cidr is 10.32.0.0/12')
  t.match(report.findings[5]?.hint, 'kubectl delete daemonset calico-node -n kube-system')
  t.same(report.foreignCni.map((r) => r.name), ['calico-node', 'weave-net'])

  const accepted = acceptForeignCni(report)
  t.same(accepted.findings.filter((f) => f.check === 'foreign-cni').map((f) => f.severity), ['warning', 'warning'])
  t.ok(hasErrors(accepted), 'the CIDR findings stay errors')
})

t.test('IPv6: the family of pod_network_cidr is checked, the other left alone', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    nodes: [node('a', { podCIDRs: ['10.99.0.0/24', 'fd00:10::/64'] }), node('b', { podCIDRs: ['fd01::/64'] })],
    service: { spec: { clusterIP: 'fd00:96::1' } },
  })
  const report = await runLivePreflight({ target, podNetworkCidr: 'fd00:10::/56', serviceCidr: 'fd00:96::/108' })
  t.same(report.findings.map((f) => [f.object, f.message]), [['Node b', 'fd01::/64 is outside pod_network_cidr fd00:10::/56']])
})

t.test('a forbidden read is a warning naming the permission; the other checks still run', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    daemonSets: [daemonSet('cilium')],
    answers: { nodes: forbidden('list', 'nodes'), pods: forbidden('list', 'pods') },
  })
  const report = await runLivePreflight({ target, ...NETWORKS })
  t.same(report.findings.map((f) => [f.check, f.severity]), [
    ['node-pod-cidr', 'warning'], ['controller-manager-cluster-cidr', 'warning'], ['foreign-cni', 'error'],
  ])
  t.match(report.findings[0]?.message, 'not checked: user restricted may not list nodes')
  t.match(report.findings[0]?.hint, 'grant list nodes')
})

t.test('an unreachable cluster is an EnvironmentError', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    answers: { nodes: `echo 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?' >&2; exit 1` },
  })
  await t.rejects(runLivePreflight({ target, ...NETWORKS }), EnvironmentError)
  await t.rejects(runLivePreflight({ target, ...NETWORKS }), { message: /cannot reach the cluster at 127\.0\.0\.1:1/ })
})

t.test('an answer that is not JSON is an EnvironmentError', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, { answers: { nodes: `echo '<html>proxy login</html>'` } })
  await t.rejects(runLivePreflight({ target, ...NETWORKS }), { name: 'EnvironmentError', message: /kubectl get nodes answered with something that is not JSON/ })
})

t.test('of reads that fail side by side, the error is that of the first check in order, not of the first to fail', async (t) => {
  const dir = t.testdir({})
  const target = await cluster(dir, {
    answers: {
      nodes: `sleep 0.3; echo '<html>proxy login</html>'`,
      daemonsets: `echo 'The connection to the server 127.0.0.1:1 was refused' >&2; exit 1`,
    },
  })
  await t.rejects(runLivePreflight({ target, ...NETWORKS }), { message: /kubectl get nodes answered with something that is not JSON/ })
})
