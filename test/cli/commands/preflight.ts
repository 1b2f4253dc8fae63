import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../../helpers/cli.js'
import { fakeKubeconform } from '../../helpers/fake-kubeconform.js'
import { fakeKubectl } from '../../helpers/fake-kubectl.js'

const project = {
  'cluster.yml': 'network:\n  provider: custom\n  pod_network_cidr: 10.32.0.0/12\n  service_cidr: 10.96.0.0/12\n  custom:\n    manifest_path: ./net\n',
  net: { 'cm.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: kube-system\n' },
}

/** A stand-in kubectl: one Node outside the range and a foreign calico-node, or a clean cluster. */
async function kubectlFor(dir: string, findings: boolean): Promise<string> {
  await writeFile(join(dir, 'nodes.json'), JSON.stringify({ items: findings ? [{ metadata: { name: 'worker-1' }, spec: { podCIDR: '10.244.1.0/24' } }] : [] }))
  await writeFile(join(dir, 'ds.json'), JSON.stringify({ items: findings ? [{ metadata: { name: 'calico-node' } }] : [] }))
  return (await fakeKubectl(dir, {
    nodes: `cat ${join(dir, 'nodes.json')}`,
    service: `echo '{"spec":{"clusterIP":"10.96.0.1"}}'`,
    configmap: `echo 'Error from server (NotFound): configmaps "kube-proxy" not found' >&2; exit 1`,
    pods: `echo '{"items":[]}'`,
    daemonsets: `cat ${join(dir, 'ds.json')}`,
  })).kubectl
}

t.test('preflight: exit 0 clean, 1 with findings, in text', async (t) => {
  const clean = t.testdir(project)
  const ok = await runCli(['preflight', '--kubectl', await kubectlFor(clean, false)], { cwd: clean })
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stdout, '5 checks: 0 errors, 0 warnings\n')

  const dir = t.testdir(project)
  const run = await runCli(['preflight', '--kubectl', await kubectlFor(dir, true)], { cwd: dir })
  t.equal(run.code, 1, run.stderr)
  t.match(run.stdout, /^error: Node worker-1: spec\.podCIDR: 10\.244\.1\.0\/24 is outside pod_network_cidr 10\.32\.0\.0\/12\n {2}hint: /)
  t.match(run.stdout, /error: DaemonSet kube-system\/calico-node: .*another network is running/)
  t.match(run.stdout, /5 checks: 2 errors, 0 warnings\n$/)
})

t.test('preflight -o json and -o junit', async (t) => {
  const dir = t.testdir(project)
  const kubectl = await kubectlFor(dir, true)
  const json = await runCli(['preflight', '--kubectl', kubectl, '-o', 'json'], { cwd: dir })
  t.equal(json.code, 1)
  const parsed = JSON.parse(json.stdout)
  t.same(parsed.summary, { checks: 5, errors: 2, warnings: 0 })
  t.same(parsed.findings[0], {
    check: 'node-pod-cidr', severity: 'error', object: 'Node worker-1', field: 'spec.podCIDR',
    message: '10.244.1.0/24 is outside pod_network_cidr 10.32.0.0/12', hint: parsed.findings[0].hint, file: null, line: null,
  })
  const junit = await runCli(['preflight', '--kubectl', kubectl, '-o', 'junit'], { cwd: dir })
  t.equal(junit.code, 1)
  t.match(junit.stdout, /<testsuites name="kubectl-pharos-net preflight" tests="5" failures="2" errors="0" skipped="0">/)
  t.match(junit.stdout, /<testcase classname="preflight" name="node-pod-cidr">\n {6}<failure message="Node worker-1: 10\.244\.1\.0\/24 is outside/)
  t.match(junit.stdout, /<testcase classname="preflight" name="service-cidr"\/>/)
})

t.test('preflight: an unreachable cluster is exit 3', async (t) => {
  const dir = t.testdir(project)
  const kubectl = (await fakeKubectl(dir, {}, `echo 'The connection to the server 127.0.0.1:1 was refused' >&2; exit 1`)).kubectl
  const run = await runCli(['preflight', '--kubectl', kubectl], { cwd: dir })
  t.equal(run.code, 3)
  t.match(run.stderr, /^error: cannot reach the cluster at 127\.0\.0\.1:1/)
})

/** A cluster for apply and diff: a foreign calico-node, nothing else to find, an empty stack. */
async function deployCluster(dir: string) {
  await writeFile(join(dir, 'ds.json'), JSON.stringify({ items: [{ metadata: { name: 'calico-node' } }] }))
  const version = { clientVersion: { gitVersion: 'v1.32.4', minor: '32' }, serverVersion: { gitVersion: 'v1.32.13', minor: '32' } }
  return (await fakeKubectl(dir, {
    version: `echo '${JSON.stringify(version)}'`,
    config: ':',
    'api-resources': `echo configmaps`,
    nodes: `echo '{"items":[]}'`,
    service: `echo '{"spec":{"clusterIP":"10.96.0.1"}}'`,
    configmap: `echo 'Error from server (NotFound): configmaps "kube-proxy" not found' >&2; exit 1`,
    pods: `echo '{"items":[]}'`,
    daemonsets: `cat ${join(dir, 'ds.json')}`,
    get: `echo '{"items":[]}'`,
    apply: `echo 'configmap/a serverside-applied'`,
    diff: 'exit 0',
  })).kubectl
}

t.test('apply refuses beside a foreign CNI, names it, applies nothing; --replace-cni and --skip-preflight apply', async (t) => {
  const dir = t.testdir(project)
  const kubectl = await deployCluster(dir)
  const kubeconform = await fakeKubeconform(dir, 'statusValid')
  const flags = ['--kubectl', kubectl, '--kubeconform', kubeconform, '--no-prune', '--schema-location', dir]
  const refused = await runCli(['apply', ...flags], { cwd: dir })
  t.equal(refused.code, 1, refused.stderr)
  t.match(refused.stderr, /preflight: error: DaemonSet kube-system\/calico-node: .*\n {2}hint: remove it \(kubectl delete daemonset calico-node -n kube-system/)
  t.match(refused.stderr, /error: preflight found problems in the cluster; nothing was applied/)
  t.equal(refused.stdout, '')

  const replaced = await runCli(['apply', ...flags, '--replace-cni'], { cwd: dir })
  t.equal(replaced.code, 0, replaced.stderr)
  t.match(replaced.stderr, /preflight: warning: DaemonSet kube-system\/calico-node/)
  t.match(replaced.stdout, 'configmap/a serverside-applied')

  const skipped = await runCli(['apply', ...flags, '--skip-preflight'], { cwd: dir })
  t.equal(skipped.code, 0, skipped.stderr)
  t.notMatch(skipped.stderr, /preflight/)
})

t.test('diff shows preflight findings as warnings and goes on', async (t) => {
  const dir = t.testdir(project)
  const kubectl = await deployCluster(dir)
  const run = await runCli(['diff', '--kubectl', kubectl], { cwd: dir })
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, /preflight: warning: DaemonSet kube-system\/calico-node/)
})
